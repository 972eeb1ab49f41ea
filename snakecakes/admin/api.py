"""The admin JSON API: orders, handover, prompt wording. Bearer ADMIN_API_TOKEN on every call.

Thin on purpose: each route checks input and calls snakecakes.shop.staff or the prompt store.
`?bot=<phone_number_id>` picks the bot; without it the default bot (or the only one) is meant.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from jinja2 import TemplateSyntaxError

from snakecakes import metrics
from snakecakes.bot.bots import BotCredentials
from snakecakes.bot.prompts import PromptRegistry
from snakecakes.bot.prompts.overrides import remove_override, set_override
from snakecakes.shop import staff
from snakecakes.shop.orders import STATUSES, OrderError

log = logging.getLogger(__name__)

api = Blueprint("admin_api", __name__, url_prefix="/api")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _services() -> Any:
    return current_app.extensions["snakecakes"]


@api.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    metrics.ADMIN_API_REQUESTS.labels(str(exc.status)).inc()
    return jsonify({"error": str(exc)}), exc.status


@api.before_request
def _authorise() -> None:
    token = _services().settings.admin_api_token
    if token is None:
        raise ApiError(503, "the admin API is off: set ADMIN_API_TOKEN")
    given = request.headers.get("Authorization", "")
    expected = "Bearer " + token.get_secret_value()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("admin API: refused %s %s (bad or missing token)", request.method, request.path)
        raise ApiError(401, "missing or wrong bearer token")


def _bot() -> BotCredentials:
    services = _services()
    services.bots.refresh()
    wanted = request.args.get("bot")
    if wanted:
        bot = services.bots.get(wanted)
        if bot is None:
            raise ApiError(404, f"no bot with phone_number_id {wanted}")
        return bot
    bots = services.bots.all()
    default = [b for b in bots if b.is_default] or (bots if len(bots) == 1 else [])
    if not default:
        raise ApiError(400, "several bots: say which with ?bot=<phone_number_id>")
    return default[0]


def _date(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a date like 2026-12-24") from None


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


@api.get("/orders")
def list_orders() -> Response:
    bot = _bot()
    status = request.args.get("status")
    if status and not set(status.split(",")) <= set(STATUSES):
        raise ApiError(400, f"status must be among {', '.join(STATUSES)}")
    try:
        limit = min(500, int(request.args.get("limit", 100)))
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        raise ApiError(400, "limit and offset must be whole numbers") from None
    found = staff.list_orders(
        _services().db,
        bot.id,
        status=status,
        date_from=_date("date_from"),
        date_to=_date("date_to"),
        limit=limit,
        offset=offset,
    )
    return jsonify({"orders": [{**o, "bot": bot.phone_number_id} for o in found]})


@api.get("/orders/<number>")
def get_order(number: str) -> Response:
    bot = _bot()
    found = staff.get_order(_services().db, bot.id, number)
    if found is None:
        raise ApiError(404, f"no order {number}")
    return jsonify({**found, "bot": bot.phone_number_id})


@api.patch("/orders/<number>")
def change_order(number: str) -> Response:
    bot, body = _bot(), _json()
    status, note = body.get("status"), body.get("note")
    if not isinstance(status, str) or (note is not None and not isinstance(note, str)):
        raise ApiError(400, "give {'status': <new status>, 'note': <optional text>}")
    services = _services()
    if staff.get_order(services.db, bot.id, number) is None:
        raise ApiError(404, f"no order {number}")
    try:
        order, chat_key = staff.change_order_status(
            services.db,
            services.prompts,
            bot_id=bot.id,
            shop_name=bot.name,
            number=number,
            status=status,
            actor=f"staff:{body.get('by') or 'admin-api'}"[:64],
            note=note,
        )
    except OrderError as exc:
        raise ApiError(409, str(exc)) from None
    services.order_changed(bot.id, chat_key)
    log.info("order %s: staff set %s", number, status)
    return jsonify({**order, "bot": bot.phone_number_id})


@api.post("/chats/<customer>/<action>")
def chat_handover(customer: str, action: str) -> Response:
    if action not in ("release", "handover"):
        raise ApiError(404, "use /release or /handover")
    bot = _bot()
    if not staff.set_handed_over(_services().db, bot.id, customer, action == "handover"):
        raise ApiError(404, f"no chat with {customer}")
    return jsonify({"customer": customer, "handed_over": action == "handover"})


@api.get("/prompts")
def list_prompts() -> Response:
    bot, services = _bot(), _services()
    registry: PromptRegistry = services.prompts
    names = registry.names()
    return jsonify(
        {"prompts": [{"name": n, "overridden": registry.overrides(bot.id, n) is not None}
                     for n in names]}
    )  # fmt: skip


@api.put("/prompts/<name>")
def put_prompt(name: str) -> Response:
    bot, body, services = _bot(), _json(), _services()
    registry: PromptRegistry = services.prompts
    source = body.get("source")
    if name not in registry.names():
        raise ApiError(404, f"no prompt template {name}")
    if not isinstance(source, str) or not source.strip():
        raise ApiError(400, "give {'source': <Jinja2 template text>}")
    try:
        registry.env.parse(source)
    except TemplateSyntaxError as exc:
        raise ApiError(400, f"template error on line {exc.lineno}: {exc.message}") from None
    with services.db.transaction() as session:
        set_override(session, bot.id, name, source)
    _forget(registry)
    return jsonify({"name": name, "overridden": True})


@api.delete("/prompts/<name>")
def delete_prompt(name: str) -> Response:
    bot, services = _bot(), _services()
    with services.db.transaction() as session:
        removed = remove_override(session, bot.id, name)
    _forget(services.prompts)
    return jsonify({"name": name, "overridden": False, "removed": removed})


def _forget(registry: PromptRegistry) -> None:
    forget: Callable[[], None] | None = getattr(registry.overrides, "forget", None)
    if forget is not None:
        forget()


def register_admin_api(app: Flask) -> None:
    app.register_blueprint(api)
