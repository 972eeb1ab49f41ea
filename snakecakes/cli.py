"""`snakecakes serve | demo | db upgrade | db current | bots list | knowledge ...`."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from flask import Flask

from snakecakes.config import Settings, SettingsError, load_settings
from snakecakes.db import migrate
from snakecakes.db.database import Database
from snakecakes.knowledge.cli import add_knowledge_parser, knowledge_command

if TYPE_CHECKING:
    from snakecakes.simulator.fake_graph import FakeGraphAPI
from snakecakes.logs import configure_logging, register_secrets

log = logging.getLogger("snakecakes")

DEMO_PHONE_NUMBER_ID = "100000000000001"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="snakecakes", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("serve", "run the bot's web server"), ("demo", "run the local demo")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", default="127.0.0.1" if name == "demo" else "0.0.0.0")
        p.add_argument("--port", type=int, default=8080)
        p.add_argument("--threads", type=int, default=None, help="WSGI worker threads")
        if name == "serve":
            p.add_argument(
                "--web-only",
                action="store_true",
                help="only take webhooks; `snakecakes worker` processes answer",
            )
    sub.add_parser("worker", help="run turns and sending for every chat (no web server)")
    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply migrations")
    db.add_parser("current", help="show the schema revision")
    bots = sub.add_parser("bots", help="business numbers").add_subparsers(
        dest="bots_command", required=True
    )
    bots.add_parser("list", help="list bots")
    add_knowledge_parser(sub)
    args = parser.parse_args(argv)
    fake_graph: FakeGraphAPI | None = None
    try:
        if args.command == "demo":
            fake_graph = prepare_demo_environment(args.host, args.port)
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        register_secrets(_secret_values(settings))
        if args.command in ("serve", "demo"):
            role = "web" if getattr(args, "web_only", False) else "serve"
            return serve(
                settings,
                args.host,
                args.port,
                args.threads,
                demo=args.command == "demo",
                role=role,
                fake_graph=fake_graph,
            )
        if args.command == "worker":
            return worker(settings)
        if args.command == "db":
            return db_command(settings, args.db_command)
        if args.command == "knowledge":
            return knowledge_command(settings, args)
        return bots_list(settings)
    except SettingsError as exc:
        print(f"snakecakes: {exc}", file=sys.stderr)
        return 2
    finally:
        if fake_graph is not None:
            fake_graph.stop()


def _secret_values(settings: Settings) -> list[str | None]:
    fields = (
        settings.whatsapp_access_token,
        settings.whatsapp_app_secret,
        settings.whatsapp_verify_token,
        settings.openai_api_key,
        settings.secret_key,
        settings.admin_api_token,
    )
    return [f.get_secret_value() if f else None for f in fields]


def prepare_demo_environment(host: str, port: int) -> FakeGraphAPI | None:
    """Demo defaults so that `make demo` needs no `.env`; real settings in `.env` still win.

    Without a real Graph API configured, the bot talks to the fake one, in this process, which
    answers like Meta and posts delivery statuses back to the bot's webhook."""
    var = Path("var")
    var.mkdir(exist_ok=True)
    key_file = var / "demo-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(32))
        key_file.chmod(0o600)
    defaults = {
        "SNAKECAKES_SECRET_KEY": key_file.read_text().strip(),
        "WHATSAPP_PHONE_NUMBER_ID": DEMO_PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": "demo-access-token",
        "WHATSAPP_APP_SECRET": "demo-app-secret",
        "WHATSAPP_VERIFY_TOKEN": "demo-verify-token",
        "DATABASE_URL": f"sqlite:///{var / 'demo.db'}",
    }
    env_file = _dotenv_keys()
    fake_graph = None
    if "WHATSAPP_API_BASE_URL" not in env_file and "WHATSAPP_API_BASE_URL" not in os.environ:
        from snakecakes.simulator.fake_graph import FakeGraphAPI

        fake_graph = FakeGraphAPI(
            webhook_url=f"http://{host}:{port}/webhook",
            app_secret=os.environ.get("WHATSAPP_APP_SECRET", defaults["WHATSAPP_APP_SECRET"]),
            auto_status=True,
        ).start()
        defaults["WHATSAPP_API_BASE_URL"] = fake_graph.url
        defaults["SNAKECAKES_SIMULATOR"] = "true"  # the chat page at /simulator
        # one tapped order is more than 10 replies a minute; the local fake has no pair limit
        defaults["SNAKECAKES_PAIR_BURST"] = "100"
    for name, value in defaults.items():
        if name not in env_file:
            os.environ.setdefault(name, value)
    return fake_graph


def load_demo_documents(db: Database, bot_id: int) -> None:
    """The shop's shipped documents, so the demo answers questions with sources (idempotent)."""
    from snakecakes.knowledge import load_default_documents

    with db.transaction() as session:
        loaded = load_default_documents(session, bot_id)
    log.info("demo: %d shop documents loaded for bot %s", len(loaded), bot_id)


def _dotenv_keys() -> set[str]:
    path = Path(".env")
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            keys.add(line.split("=", 1)[0].strip())
    return keys


def open_database(settings: Settings, *, auto_upgrade: bool) -> Database:
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    if auto_upgrade:
        migrate.upgrade(db)
    elif not migrate.is_current(db):
        raise SettingsError(
            "DATABASE_URL: the schema is not at the current revision; run `snakecakes db upgrade`"
        )
    return db


def serve(
    settings: Settings,
    host: str,
    port: int,
    threads: int | None,
    *,
    demo: bool,
    role: str,
    fake_graph: FakeGraphAPI | None = None,
) -> int:
    from snakecakes.app import build_services, create_app
    from snakecakes.bot.bot import Runtime
    from snakecakes.bot.bots import prepare_default_bot
    from snakecakes.crypto import SecretBox

    settings.check_for_serving()
    own_graph: FakeGraphAPI | None = None
    if settings.simulator and fake_graph is None and settings.default_bot_configured():
        from snakecakes.simulator.web import start_graph_for

        settings, own_graph = start_graph_for(settings, host, port)
        fake_graph = own_graph
    assert settings.secret_key is not None
    db = open_database(settings, auto_upgrade=settings.is_sqlite)
    box = SecretBox(settings.secret_key.get_secret_value())
    bot_id = prepare_default_bot(db, settings, box)
    if demo and bot_id is not None:
        load_demo_documents(db, bot_id)
    runtime = Runtime(settings, db, box, role=role)
    services = build_services(
        settings,
        db,
        dispatcher=runtime.dispatcher,
        prompts=runtime.prompts,
        order_changed=runtime.order_changed,
    )
    services.bots.refresh()
    if not services.bots.all():
        raise SettingsError(
            "no bot configured: set WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_ACCESS_TOKEN, "
            "WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN"
        )
    app = create_app(services, fake_graph=fake_graph if settings.simulator else None)
    runtime.start()
    try:
        run_server(
            app,
            host,
            port,
            threads or settings.server_threads,
            max_body=settings.max_body_bytes,
            banner=demo_banner if demo else None,
        )
    finally:
        runtime.stop()
        db.dispose()
        if own_graph is not None:
            own_graph.stop()
    return 0


def worker(settings: Settings) -> int:
    """Turns and sending for every chat, as many processes as you like (PostgreSQL)."""
    from snakecakes.bot.bot import Runtime
    from snakecakes.bot.bots import prepare_default_bot
    from snakecakes.crypto import SecretBox

    settings.check_for_serving()
    assert settings.secret_key is not None
    db = open_database(settings, auto_upgrade=settings.is_sqlite)
    box = SecretBox(settings.secret_key.get_secret_value())
    prepare_default_bot(db, settings, box)
    runtime = Runtime(settings, db, box, role="worker")
    stopping = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime.start()
    log.info("worker %s running", runtime.executor_id)
    try:
        stopping.wait()
    finally:
        runtime.stop()
        db.dispose()
    return 0


def demo_banner(url: str) -> str:
    simulator_line = ""
    if os.environ.get("SNAKECAKES_SIMULATOR", "").lower() in ("1", "true", "yes", "on"):
        simulator_line = f"\n  >>> Chat with the bot in your browser: {url}/simulator <<<\n\n"
    return (
        "\n  Snake Cakes demo is running.\n"
        f"    webhook:  {url}/webhook  (verify token: demo-verify-token)\n"
        f"    health:   {url}/healthz   {url}/readyz   metrics: {url}/metrics\n"
        f"    Graph API: {os.environ.get('WHATSAPP_API_BASE_URL')}\n"
        "  Messages posted to the webhook are verified, stored and deduplicated; replies go\n"
        "  through the durable outbox to the Graph API (the local fake unless configured).\n"
        f"{simulator_line}"
        "  Ctrl-C stops.\n"
    )


def run_server(
    app: Flask,
    host: str,
    port: int,
    threads: int,
    *,
    max_body: int,
    banner: Callable[[str], str] | None = None,
) -> None:
    """Waitress: a production WSGI server with a thread pool (not Flask's dev server)."""
    from waitress.server import create_server

    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=max_body,
        channel_timeout=30,
        connection_limit=1000,
        backlog=2048,
        ident="snakecakes",
        clear_untrusted_proxy_headers=True,
    )
    bound = f"http://{server.effective_host}:{server.effective_port}"  # type: ignore[union-attr]
    log.info("serving on %s with %d threads", bound, threads)
    if banner:
        print(banner(bound), flush=True)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        # closing the server from here would pull the socket from under select(); leave the
        # main loop the way Ctrl-C does and close in `finally`
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()


def db_command(settings: Settings, command: str) -> int:
    db = open_database(settings, auto_upgrade=command == "upgrade")
    if command == "upgrade":
        from snakecakes.bot import durable

        durable.prepare_schema(settings)
    print(f"schema revision: {migrate.current_revision(db)} (head {migrate.head_revision(db)})")
    db.dispose()
    return 0


def bots_list(settings: Settings) -> int:
    from snakecakes.app import build_services

    settings.check_for_serving()
    services = build_services(settings, open_database(settings, auto_upgrade=False))
    services.bots.refresh()
    for bot in services.bots.all():
        default = " (default)" if bot.is_default else ""
        print(f"{bot.id}\t{bot.phone_number_id}\t{bot.name}{default}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
