"""`snakecakes` as an operator runs it: a real subprocess under the production WSGI server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from snakecakes.simulator import payloads as p
from tests.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_ID, SECRET_KEY, VERIFY_TOKEN
from tests.support.process import CLI, env_for, running


def test_serve_migrates_sqlite_stores_webhooks_and_logs_json_without_secrets(
    tmp_path: Path,
) -> None:
    env = env_for(tmp_path)
    with running(["serve"], env, tmp_path) as (url, log_path, proc):
        assert httpx.get(url + "/readyz").json()["status"] == "ready"
        secret_text = "my secret birthday surprise for Anna"
        msg = p.text(p.new_wamid(), "4915112345678", secret_text)
        raw, headers = p.signed(p.envelope(p.change(PHONE_ID, messages=[msg])), APP_SECRET)
        r = httpx.post(url + "/webhook", content=raw, headers={**headers, "X-Request-Id": "req-42"})
        assert r.status_code == 200
        assert r.headers["server"] == "snakecakes"  # waitress, not the Flask dev server
        metrics = httpx.get(url + "/metrics").text
        assert 'snakecakes_webhook_requests_total{method="POST",outcome="stored"} 1.0' in metrics
        assert "snakecakes_inbox_pending 1.0" in metrics
        assert "snakecakes_webhook_ack_seconds_bucket" in metrics
    assert proc.returncode == 0  # SIGTERM is a clean stop
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    stored = [line for line in lines if line["msg"].startswith("webhook stored")]
    assert stored and stored[0]["request_id"] == "req-42" and stored[0]["bot_id"] == "1"
    assert all({"request_id", "bot_id", "level", "ts"} <= set(line) for line in lines)
    text = log_path.read_text()
    for secret in (APP_SECRET, ACCESS_TOKEN, VERIFY_TOKEN, SECRET_KEY, secret_text):
        assert secret not in text


def test_missing_setting_stops_the_start_and_names_it(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    del env["WHATSAPP_ACCESS_TOKEN"]
    done = subprocess.run([*CLI, "serve"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "WHATSAPP_ACCESS_TOKEN" in done.stderr
    env = env_for(tmp_path, SNAKECAKES_SECRET_KEY="")
    done = subprocess.run([*CLI, "serve"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "SNAKECAKES_SECRET_KEY" in done.stderr


def test_postgresql_needs_db_upgrade_first(tmp_path: Path, postgresql_url: str) -> None:
    from sqlalchemy import create_engine, text

    from snakecakes.db.database import normalise_url

    name = "snakecakes_cli_" + str(os.getpid())
    base = postgresql_url.rsplit("/", 1)[0]
    admin = create_engine(normalise_url(base + "/test"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        env = env_for(tmp_path, DATABASE_URL=f"{base}/{name}")
        refused = subprocess.run(
            [*CLI, "serve"], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert refused.returncode == 2
        assert "snakecakes db upgrade" in refused.stderr
        upgrade = subprocess.run(
            [*CLI, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert upgrade.returncode == 0, upgrade.stderr
        with create_engine(normalise_url(f"{base}/{name}")).connect() as conn:  # DBOS's too
            assert conn.execute(text("SELECT count(*) FROM dbos.workflow_status")).scalar() == 0
        with running(["serve"], env, tmp_path) as (url, _, _):
            assert httpx.get(url + "/readyz").json()["checks"]["migrations"] == "ok"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_demo_starts_without_any_configuration(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHATSAPP_", "SNAKECAKES_", "DATABASE_URL"))
    }
    with running(["demo"], env, tmp_path) as (url, log_path, _):
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": "demo-verify-token",
            "hub.challenge": "7",
        }
        assert httpx.get(url + "/webhook", params=params).text == "7"
    assert "Snake Cakes demo is running" in log_path.read_text()
    assert (tmp_path / "var" / "demo.db").exists()
