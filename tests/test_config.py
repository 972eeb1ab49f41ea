"""Settings: fixed names, errors that name the setting, secrets that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from snakecakes.config import SettingsError, load_settings

FULL = {
    "SNAKECAKES_SECRET_KEY": "a-long-enough-secret-key",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-very-secret-token",
    "WHATSAPP_APP_SECRET": "app-secret-value",
    "WHATSAPP_VERIFY_TOKEN": "verify-token-value",
}


def test_defaults() -> None:
    s = load_settings()
    assert s.whatsapp_api_base_url == "https://graph.facebook.com"
    assert s.database_url.startswith("sqlite:///var/")
    assert s.is_sqlite


def test_reads_fixed_names_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WHATSAPP_API_BASE_URL", "http://127.0.0.1:9999/")
    monkeypatch.setenv("WHATSAPP_API_VERSION", "v24.0")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("OPENAI_MODEL", "local-model")
    monkeypatch.setenv("ADMIN_API_TOKEN", "admin-token")
    s = load_settings()
    s.check_for_serving()
    assert s.whatsapp_phone_number_id == "106540352242922"
    assert s.whatsapp_api_base_url == "http://127.0.0.1:9999"
    assert s.whatsapp_api_version == "v24.0"
    assert s.openai_model == "local-model"
    assert s.admin_api_token is not None


def test_reads_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WHATSAPP_PHONE_NUMBER_ID=123456\nSNAKECAKES_THREADS=4\n")
    s = load_settings()
    assert s.whatsapp_phone_number_id == "123456"
    assert s.server_threads == 4


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WHATSAPP_PHONE_NUMBER_ID", "not-a-number"),
        ("WHATSAPP_API_VERSION", "23"),
        ("WHATSAPP_API_BASE_URL", "graph.facebook.com"),
        ("DATABASE_URL", "mysql://x"),
        ("SNAKECAKES_SECRET_KEY", "short"),
        ("SNAKECAKES_THREADS", "0"),
        ("SNAKECAKES_LOG_FORMAT", "xml"),
    ],
)
def test_wrong_value_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert name in str(err.value)
    assert value not in str(err.value) or len(value) < 3


def test_missing_secret_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="SNAKECAKES_SECRET_KEY"):
        load_settings().check_for_serving()


def test_partial_default_bot_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNAKECAKES_SECRET_KEY", FULL["SNAKECAKES_SECRET_KEY"])
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "123")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "x" * 10)
    with pytest.raises(SettingsError) as err:
        load_settings().check_for_serving()
    assert "WHATSAPP_ACCESS_TOKEN" in str(err.value)
    assert "WHATSAPP_VERIFY_TOKEN" in str(err.value)


def test_secrets_hidden_in_repr_and_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-123")
    s = load_settings()
    shown = repr(s) + str(s) + str(s.model_dump())
    for secret in (*FULL.values(), "sk-openai-secret-123"):
        if secret != FULL["WHATSAPP_PHONE_NUMBER_ID"]:
            assert secret not in shown


def test_env_example_documents_every_setting() -> None:
    from snakecakes.config import Settings

    example = (Path(__file__).parents[1] / ".env.example").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = [c for c in getattr(alias, "choices", []) if isinstance(c, str) and c.isupper()]
        assert names and names[0] in documented, names
