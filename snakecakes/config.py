"""Settings from the environment and `.env`.

The `WHATSAPP_*`, `OPENAI_*`, `DATABASE_URL`, `SNAKECAKES_SECRET_KEY` and `ADMIN_API_TOKEN` names
are fixed: deployment docs and users rely on them. Everything else uses the `SNAKECAKES_` prefix.
Secrets are `SecretStr`, so a repr, a log line or an error page never shows them.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_PATH = Path("var") / "snakecakes.db"


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it, and never shows its value."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,  # `NAME=` in .env means "not set", as .env.example shows
    )

    # WhatsApp: the default bot. A one-number shop needs nothing else.
    whatsapp_verify_token: SecretStr | None = Field(
        None, validation_alias=_env("WHATSAPP_VERIFY_TOKEN")
    )
    whatsapp_app_secret: SecretStr | None = Field(
        None, validation_alias=_env("WHATSAPP_APP_SECRET")
    )
    whatsapp_access_token: SecretStr | None = Field(
        None, validation_alias=_env("WHATSAPP_ACCESS_TOKEN")
    )
    whatsapp_phone_number_id: str | None = Field(
        None, validation_alias=_env("WHATSAPP_PHONE_NUMBER_ID")
    )
    whatsapp_api_base_url: str = Field(
        "https://graph.facebook.com", validation_alias=_env("WHATSAPP_API_BASE_URL")
    )
    whatsapp_api_version: str = Field("v23.0", validation_alias=_env("WHATSAPP_API_VERSION"))

    # Language model: the offline engine is used when neither key nor base URL is set.
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    openai_model: str = Field("gpt-4o-mini", validation_alias=_env("OPENAI_MODEL"))
    # Bounds of one turn with the OpenAI engine: per request, retries, tool rounds, the whole
    # turn (then the customer gets an apology), and the prompt size history is windowed to.
    openai_timeout_seconds: float = Field(
        20.0, gt=0, le=600, validation_alias=_env("SNAKECAKES_OPENAI_TIMEOUT_SECONDS")
    )
    openai_max_retries: int = Field(
        1, ge=0, le=10, validation_alias=_env("SNAKECAKES_OPENAI_MAX_RETRIES")
    )
    openai_max_tool_rounds: int = Field(
        6, ge=1, le=30, validation_alias=_env("SNAKECAKES_OPENAI_MAX_TOOL_ROUNDS")
    )
    openai_turn_seconds: float = Field(
        60.0, gt=0, le=1800, validation_alias=_env("SNAKECAKES_OPENAI_TURN_SECONDS")
    )
    openai_context_tokens: int = Field(
        12000, ge=2000, le=1_000_000, validation_alias=_env("SNAKECAKES_OPENAI_CONTEXT_TOKENS")
    )

    database_url: str = Field(f"sqlite:///{DEFAULT_DB_PATH}", validation_alias=_env("DATABASE_URL"))
    secret_key: SecretStr | None = Field(None, validation_alias=_env("SNAKECAKES_SECRET_KEY"))
    admin_api_token: SecretStr | None = Field(None, validation_alias=_env("ADMIN_API_TOKEN"))

    # Our own knobs.
    bot_name: str = Field("Snake Cakes", validation_alias=_env("SNAKECAKES_BOT_NAME"))
    max_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, validation_alias=_env("SNAKECAKES_MAX_BODY_BYTES")
    )
    log_format: str = Field("text", validation_alias=_env("SNAKECAKES_LOG_FORMAT"))
    log_level: str = Field("INFO", validation_alias=_env("SNAKECAKES_LOG_LEVEL"))
    server_threads: int = Field(16, ge=1, le=256, validation_alias=_env("SNAKECAKES_THREADS"))
    db_pool_size: int = Field(10, ge=1, le=200, validation_alias=_env("SNAKECAKES_DB_POOL_SIZE"))
    bot_cache_seconds: float = Field(
        5.0, ge=0, validation_alias=_env("SNAKECAKES_BOT_CACHE_SECONDS")
    )

    # Outbound: pacing below Meta's 80/s per number (inbound shares it), per-customer pacing,
    # retries with backoff up to a maximum age.
    send_rate: float = Field(60.0, gt=0, le=1000, validation_alias=_env("SNAKECAKES_SEND_RATE"))
    pair_burst: int = Field(10, ge=1, validation_alias=_env("SNAKECAKES_PAIR_BURST"))
    pair_window_seconds: float = Field(
        60.0, gt=0, validation_alias=_env("SNAKECAKES_PAIR_WINDOW_SECONDS")
    )
    send_max_age_seconds: float = Field(
        3600.0, gt=0, validation_alias=_env("SNAKECAKES_SEND_MAX_AGE_SECONDS")
    )
    send_backoff_seconds: float = Field(
        1.0, gt=0, validation_alias=_env("SNAKECAKES_SEND_BACKOFF_SECONDS")
    )
    send_backoff_max_seconds: float = Field(
        300.0, gt=0, validation_alias=_env("SNAKECAKES_SEND_BACKOFF_MAX_SECONDS")
    )
    graph_timeout_seconds: float = Field(
        15.0, gt=0, validation_alias=_env("SNAKECAKES_GRAPH_TIMEOUT_SECONDS")
    )

    # Durable execution (DBOS): who this process is, and how eagerly it polls its queues.
    executor_id: str | None = Field(None, validation_alias=_env("SNAKECAKES_EXECUTOR_ID"))
    worker_threads: int = Field(
        32, ge=1, le=1000, validation_alias=_env("SNAKECAKES_WORKER_THREADS")
    )
    queue_poll_seconds: float = Field(
        0.05, gt=0, le=10, validation_alias=_env("SNAKECAKES_QUEUE_POLL_SECONDS")
    )
    inbox_poll_seconds: float = Field(
        0.1, gt=0, le=10, validation_alias=_env("SNAKECAKES_INBOX_POLL_SECONDS")
    )
    dbos_database_url: str | None = Field(
        None, validation_alias=_env("SNAKECAKES_DBOS_DATABASE_URL")
    )

    # Conversation processing.
    burst_delay_seconds: float = Field(
        1.0, ge=0, validation_alias=_env("SNAKECAKES_BURST_DELAY_SECONDS")
    )
    burst_max_seconds: float = Field(
        5.0, ge=0, validation_alias=_env("SNAKECAKES_BURST_MAX_SECONDS")
    )
    turn_restarts: int = Field(2, ge=0, le=10, validation_alias=_env("SNAKECAKES_TURN_RESTARTS"))
    turn_max_attempts: int = Field(
        3, ge=1, le=20, validation_alias=_env("SNAKECAKES_TURN_MAX_ATTEMPTS")
    )
    session_idle_seconds: float = Field(
        6 * 3600.0, gt=0, validation_alias=_env("SNAKECAKES_SESSION_IDLE_SECONDS")
    )
    history_window: int = Field(
        30, ge=1, le=500, validation_alias=_env("SNAKECAKES_HISTORY_WINDOW")
    )
    engine: str = Field("auto", validation_alias=_env("SNAKECAKES_ENGINE"))
    echo_delay_seconds: float = Field(
        0.0, ge=0, validation_alias=_env("SNAKECAKES_ECHO_DELAY_SECONDS")
    )

    # The shop: its catalog file (loaded into the default bot at start), order numbers, and the
    # internal system that receives every order change (signed JSON, retried until accepted).
    catalog_path: str | None = Field(None, validation_alias=_env("SNAKECAKES_CATALOG_PATH"))
    out_of_hours_notice: bool = Field(True, validation_alias=_env("SNAKECAKES_OUT_OF_HOURS_NOTICE"))
    order_prefix: str = Field("SC-", max_length=8, validation_alias=_env("SNAKECAKES_ORDER_PREFIX"))
    orders_webhook_url: str | None = Field(None, validation_alias=_env("ORDERS_WEBHOOK_URL"))
    orders_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("ORDERS_WEBHOOK_SECRET")
    )
    order_push_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias=_env("SNAKECAKES_ORDER_PUSH_TIMEOUT_SECONDS")
    )
    order_push_max_backoff_seconds: float = Field(
        300.0, gt=0, validation_alias=_env("SNAKECAKES_ORDER_PUSH_MAX_BACKOFF_SECONDS")
    )

    # The browser chat simulator at /simulator (`snakecakes demo` turns it on): the bot then talks
    # to an in-process fake Graph API instead of Meta. Never on a public server.
    simulator: bool = Field(False, validation_alias=_env("SNAKECAKES_SIMULATOR"))

    # Safety nets: how often to look for work a lost wake-up or a dead process left behind, and
    # how old such work must be.
    sweep_seconds: float = Field(10.0, gt=0, validation_alias=_env("SNAKECAKES_SWEEP_SECONDS"))
    sweep_grace_seconds: float = Field(
        30.0, gt=0, validation_alias=_env("SNAKECAKES_SWEEP_GRACE_SECONDS")
    )

    @field_validator("whatsapp_phone_number_id")
    @classmethod
    def _numeric_phone_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isdigit():
            raise ValueError("must be the numeric phone number id from Meta's app dashboard")
        return value.strip() if value else value

    @field_validator("whatsapp_api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+", value):
            raise ValueError("must look like v23.0")
        return value

    @field_validator("whatsapp_api_base_url", "openai_base_url", "orders_webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not re.match(r"(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("must be 'text' or 'json'")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (use a long random string)")
        return value

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def default_bot_settings(self) -> tuple[str, ...]:
        return (
            "WHATSAPP_PHONE_NUMBER_ID",
            "WHATSAPP_ACCESS_TOKEN",
            "WHATSAPP_APP_SECRET",
            "WHATSAPP_VERIFY_TOKEN",
        )

    def default_bot_configured(self) -> bool:
        return self.whatsapp_phone_number_id is not None

    def check_for_serving(self) -> None:
        """What `serve` needs beyond well-formed values; raises SettingsError naming the setting."""
        if self.secret_key is None:
            raise SettingsError(
                "SNAKECAKES_SECRET_KEY is missing: it encrypts the tokens kept in the database "
                "(set a long random string, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        values = {
            "WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
            "WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token,
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
        }
        given = [name for name, value in values.items() if value is not None]
        missing = [name for name, value in values.items() if value is None]
        if given and missing:
            raise SettingsError(
                f"{', '.join(missing)} missing: the default bot needs all of "
                f"{', '.join(values)} (given: {', '.join(given)})"
            )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, `.env` and overrides; errors name the setting, not values."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            if not name.startswith(("WHATSAPP_", "OPENAI_", "DATABASE_", "ADMIN_", "SNAKECAKES_")):
                name = f"SNAKECAKES_{name}"
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
