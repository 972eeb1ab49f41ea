"""The bots (business numbers) of this deployment, as the webhook path needs them.

The webhook path must not query the database to find a bot on every request, so the directory
keeps an immutable snapshot in memory, refreshed every few seconds (other processes may add bots)
and at most once a second when an unknown number shows up.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from snakecakes.config import Settings
from snakecakes.crypto import SecretBox, SecretBoxError
from snakecakes.db.database import DB_UNAVAILABLE, Database
from snakecakes.db.models import Bot

log = logging.getLogger(__name__)

TOKEN_PAUSE = "access token rejected"  # how the sender words a 190 pause


@dataclass(frozen=True, slots=True)
class BotCredentials:
    id: int
    name: str
    phone_number_id: str
    display_phone_number: str | None
    waba_id: str | None
    is_default: bool
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    verify_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    by_phone: dict[str, BotCredentials]
    secrets: tuple[str, ...]
    verify_tokens: tuple[str, ...]
    loaded_at: float


class BotDirectory:
    def __init__(self, db: Database, box: SecretBox, *, ttl: float = 5.0) -> None:
        self._db = db
        self._box = box
        self._ttl = ttl
        self._lock = threading.Lock()
        self._snapshot = _Snapshot({}, (), (), 0.0)
        self._last_miss_refresh = 0.0

    def refresh(self) -> None:
        with self._db.read() as session:
            rows = session.scalars(select(Bot).where(Bot.active.is_(True))).all()
        bots: dict[str, BotCredentials] = {}
        for row in rows:
            try:
                bots[row.phone_number_id] = BotCredentials(
                    id=row.id,
                    name=row.name,
                    phone_number_id=row.phone_number_id,
                    display_phone_number=row.display_phone_number,
                    waba_id=row.waba_id,
                    is_default=row.is_default,
                    app_secret=self._box.decrypt(row.app_secret_enc),
                    access_token=self._box.decrypt(row.access_token_enc),
                    verify_token=self._box.decrypt(row.verify_token_enc),
                )
            except SecretBoxError as exc:
                log.error("bot %s skipped: %s", row.id, exc)
        secrets = tuple(dict.fromkeys(b.app_secret for b in bots.values()))
        tokens = tuple(dict.fromkeys(b.verify_token for b in bots.values()))
        self._snapshot = _Snapshot(bots, secrets, tokens, time.monotonic())

    def _current(self) -> _Snapshot:
        """The snapshot, refreshed when old. A database blip keeps a stale snapshot serving (bots
        rarely change); with no snapshot at all the error propagates, so the webhook answers 503
        rather than calling every number unknown."""
        snap = self._snapshot
        if time.monotonic() - snap.loaded_at > self._ttl:
            with self._lock:
                if self._snapshot is snap:
                    try:
                        self.refresh()
                    except DB_UNAVAILABLE:
                        if not snap.loaded_at:
                            raise
                        log.warning("bot directory refresh failed; using the cached bots")
                        self._snapshot = replace(snap, loaded_at=time.monotonic())
            snap = self._snapshot
        return snap

    def get(self, phone_number_id: str) -> BotCredentials | None:
        """The bot of a number. A miss re-reads the database (at most once a second), and a
        failed re-read raises: "unknown" must mean unknown, never "could not look"."""
        bot = self._current().by_phone.get(phone_number_id)
        if bot is None:
            now = time.monotonic()
            with self._lock:
                if now - self._last_miss_refresh >= 1.0:
                    self._last_miss_refresh = now
                    self.refresh()
            bot = self._snapshot.by_phone.get(phone_number_id)
        return bot

    def for_account(self, waba_id: str, secrets: list[str]) -> BotCredentials | None:
        """For account-level changes (template status, quality) that name no phone number: the
        bot of that WhatsApp Business Account, else the only bot the signature vouches for."""
        bots = self.all()
        same_waba = [b for b in bots if b.waba_id == waba_id and b.app_secret in secrets]
        if same_waba:
            return min(same_waba, key=lambda b: b.id)
        signed_for = [b for b in bots if b.app_secret in secrets]
        return signed_for[0] if len(signed_for) == 1 else None

    def by_id(self, bot_id: int) -> BotCredentials | None:
        for bot in self._current().by_phone.values():
            if bot.id == bot_id:
                return bot
        self.refresh()
        return next((b for b in self._snapshot.by_phone.values() if b.id == bot_id), None)

    def all(self) -> list[BotCredentials]:
        return list(self._current().by_phone.values())

    def app_secrets(self) -> tuple[str, ...]:
        return self._current().secrets

    def verify_tokens(self) -> tuple[str, ...]:
        return self._current().verify_tokens


def ensure_default_bot(db: Database, settings: Settings, box: SecretBox) -> int | None:
    """Create or refresh the bot described by the WHATSAPP_* settings; return its id."""
    if not settings.default_bot_configured():
        return None
    assert settings.whatsapp_phone_number_id is not None
    assert settings.whatsapp_app_secret and settings.whatsapp_access_token
    assert settings.whatsapp_verify_token
    with db.transaction() as session:
        bot = session.scalars(
            select(Bot).where(Bot.phone_number_id == settings.whatsapp_phone_number_id)
        ).one_or_none()
        if bot is None:
            bot = Bot(phone_number_id=settings.whatsapp_phone_number_id, settings={})
            session.add(bot)
        bot.name = bot.name or settings.bot_name
        bot.is_default = True
        bot.active = True
        bot.app_secret_enc = box.encrypt(settings.whatsapp_app_secret.get_secret_value())
        token = settings.whatsapp_access_token.get_secret_value()
        old = box.decrypt_or_none(bot.access_token_enc) if bot.access_token_enc else None
        if old != token and (bot.paused_reason or "").startswith(TOKEN_PAUSE):
            log.info("bot %s: new access token, sending resumes", bot.id)
            bot.paused_reason = None
            bot.paused_at = None
        bot.access_token_enc = box.encrypt(token)
        bot.verify_token_enc = box.encrypt(settings.whatsapp_verify_token.get_secret_value())
        session.flush()
        return bot.id


def add_bot(
    db: Database,
    box: SecretBox,
    *,
    name: str,
    phone_number_id: str,
    app_secret: str,
    access_token: str,
    verify_token: str,
) -> int:
    """Register another business number (the admin side builds on this)."""
    with db.transaction() as session:
        bot = Bot(
            name=name,
            phone_number_id=phone_number_id,
            app_secret_enc=box.encrypt(app_secret),
            access_token_enc=box.encrypt(access_token),
            verify_token_enc=box.encrypt(verify_token),
            is_default=False,
            active=True,
            settings={},
        )
        session.add(bot)
        session.flush()
        return bot.id


def set_access_token(db: Database, box: SecretBox, bot_id: int, access_token: str) -> bool:
    """Replace a bot's token; a pause caused by the old token ends. True when one ended (the
    caller then wakes the waiting chats, see Sender.resume)."""
    with db.transaction() as session:
        bot = session.get(Bot, bot_id)
        if bot is None:
            raise KeyError(f"no bot {bot_id}")
        bot.access_token_enc = box.encrypt(access_token)
        if bot.paused_reason and bot.paused_reason.startswith(TOKEN_PAUSE):
            bot.paused_reason = None
            bot.paused_at = None
            return True
        return False


def prepare_default_bot(db: Database, settings: Settings, box: SecretBox) -> int | None:
    """The default bot, ready to sell: created or refreshed, and its catalog stocked."""
    from snakecakes.shop.stock import stock_catalog

    bot_id = ensure_default_bot(db, settings, box)
    if bot_id is not None:
        stock_catalog(db, settings, bot_id)
    return bot_id
