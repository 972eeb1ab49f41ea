"""The Flask layer: thin by design. It turns HTTP into calls on the core and back, nothing more."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from snakecakes import metrics
from snakecakes.admin.api import register_admin_api
from snakecakes.admin.knowledge_api import register_knowledge_api
from snakecakes.bot.bots import BotDirectory
from snakecakes.bot.hooks import Dispatcher, NullDispatcher
from snakecakes.bot.intake import WebhookIntake
from snakecakes.bot.intake_wsgi import WebhookFastPath
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.prompts.overrides import DatabaseOverrides
from snakecakes.config import Settings
from snakecakes.crypto import SecretBox
from snakecakes.db import migrate
from snakecakes.db.database import DB_UNAVAILABLE, Database
from snakecakes.db.models import Bot, InboxMessage
from snakecakes.logs import log_context, new_request_id

if TYPE_CHECKING:
    from snakecakes.simulator.fake_graph import FakeGraphAPI

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the web layer needs; built once at start (see snakecakes.cli)."""

    settings: Settings
    db: Database
    bots: BotDirectory
    intake: WebhookIntake
    prompts: PromptRegistry
    # staff changed an order: wake its push and the customer's notice (no-op without workers)
    order_changed: Callable[[int, str], None] = field(default=lambda bot_id, chat_key: None)


def build_services(
    settings: Settings,
    db: Database | None = None,
    dispatcher: Dispatcher | None = None,
    *,
    prompts: PromptRegistry | None = None,
    order_changed: Callable[[int, str], None] | None = None,
) -> Services:
    assert settings.secret_key is not None, "check_for_serving() first"
    db = db or Database(settings.database_url, pool_size=settings.db_pool_size)
    box = SecretBox(settings.secret_key.get_secret_value())
    bots = BotDirectory(db, box, ttl=settings.bot_cache_seconds)
    intake = WebhookIntake(db, bots, dispatcher or NullDispatcher())
    prompts = prompts or PromptRegistry(DatabaseOverrides(db))
    services = Services(settings, db, bots, intake, prompts)
    if order_changed is not None:
        services.order_changed = order_changed
    return services


def create_app(services: Services, *, fake_graph: FakeGraphAPI | None = None) -> Flask:
    """``fake_graph``: the in-process fake Graph API the simulator page watches (demo)."""
    app = Flask("snakecakes")
    app.config["MAX_CONTENT_LENGTH"] = services.settings.max_body_bytes
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.extensions["snakecakes"] = services
    intake = services.intake

    @app.get("/webhook")
    def webhook_verify() -> Response:
        args = request.args
        ok = intake.verify_subscription(
            args.get("hub.mode"), args.get("hub.verify_token"), args.get("hub.challenge", "")
        )
        if not ok:
            log.warning("webhook verification refused")
            return Response("forbidden", 403, mimetype="text/plain")
        return Response(args.get("hub.challenge", ""), 200, mimetype="text/plain")

    @app.post("/webhook")
    def webhook_receive() -> Response:
        started = time.perf_counter()
        with log_context(request_id=request.headers.get("X-Request-Id") or new_request_id()):
            limit = services.settings.max_body_bytes
            if request.content_length is not None and request.content_length > limit:
                return _too_large(started)
            try:
                body = request.get_data(cache=False)
            except RequestEntityTooLarge:
                return _too_large(started)
            result = intake.receive(body, request.headers.get("X-Hub-Signature-256"))
            metrics.WEBHOOK_ACK_SECONDS.observe(time.perf_counter() - started)
            return Response(result.body, result.status, mimetype="text/plain")

    # the ack path answers POST /webhook before Flask (same rules, less CPU); the route above
    # takes the bodies without a Content-Length
    app.wsgi_app = WebhookFastPath(  # type: ignore[method-assign]
        app.wsgi_app, intake, services.settings.max_body_bytes
    )

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", 200, mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, object], int]:
        checks: dict[str, object] = {}
        try:
            services.db.ping()
            checks["database"] = "ok"
            checks["migrations"] = "ok" if migrate.is_current(services.db) else "behind"
        except DB_UNAVAILABLE as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        ready = checks.get("database") == "ok" and checks.get("migrations") == "ok"
        if not ready:
            return {"status": "not ready", "checks": checks}, 503
        paused = _paused_bots(services.db)
        if paused:
            # still ready (webhooks are taken and stored), but someone must act
            checks["sending"] = paused
            return {"status": "degraded", "checks": checks}, 200
        checks["sending"] = "ok"
        return {"status": "ready", "checks": checks}, 200

    @app.get("/metrics")
    def metrics_view() -> Response:
        try:
            with services.db.read() as session:
                pending = session.scalar(
                    select(func.count())
                    .select_from(InboxMessage)
                    .where(InboxMessage.state == "pending")
                )
            metrics.INBOX_PENDING.set(pending or 0)
        except DB_UNAVAILABLE:
            log.warning("metrics: database unreachable, inbox_pending not refreshed")
        return Response(generate_latest(metrics.REGISTRY), 200, mimetype=CONTENT_TYPE_LATEST)

    register_admin_api(app)
    register_knowledge_api(app)
    if services.settings.simulator:
        from snakecakes.simulator.web import register_simulator

        register_simulator(app, services, fake_graph)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return Response(exc.name, exc.code or 500, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return Response("internal error", 500, mimetype="text/plain")

    return app


def _paused_bots(db: Database) -> dict[str, str]:
    with db.read() as session:
        rows = session.execute(
            select(Bot.id, Bot.paused_reason).where(Bot.paused_reason.is_not(None))
        ).all()
    return {f"bot {bot_id}": f"paused: {reason}" for bot_id, reason in rows}


def _too_large(started: float) -> Response:
    log.warning("webhook body over the size limit refused")
    metrics.WEBHOOK_REQUESTS.labels("POST", "too_large").inc()
    metrics.WEBHOOK_ACK_SECONDS.observe(time.perf_counter() - started)
    return Response("payload too large", 413, mimetype="text/plain")
