"""The ``/simulator`` page and its JSON endpoints (a Flask blueprint).

Why it is off unless asked for (``SNAKECAKES_SIMULATOR``, on in ``snakecakes demo``): it lets
anyone who reaches the server write to the bot as any customer. Every POST must carry the
``X-Simulator`` header, which a browser only sends cross-site after a CORS preflight that we never
grant, so another web page cannot drive it. The page is plain HTML, CSS and JS (no build step);
it inserts every text with ``textContent``, never as HTML.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request

from snakecakes.simulator.sim_hub import IMAGE_TYPES, SimulatorHub
from snakecakes.simulator.sim_store import SimulatorError

if TYPE_CHECKING:
    from snakecakes.app import Services
    from snakecakes.config import Settings
    from snakecakes.simulator.fake_graph import FakeGraphAPI

DEFAULT_CUSTOMER = ("4915123456789", "Anna")
_MEDIA_ID = re.compile(r"\d{1,32}")
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' http: https: data:; script-src 'self'; "
    "style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def register_simulator(app: Flask, services: Services, graph: FakeGraphAPI | None) -> SimulatorHub:
    """Mount the simulator on ``app``; the hub is kept in ``app.extensions["simulator"]``."""
    hub = SimulatorHub(services.bots, graph)
    hub.store.add_customer(*DEFAULT_CUSTOMER)
    app.register_blueprint(simulator_blueprint(hub))
    app.extensions["simulator"] = hub
    return hub


def start_graph_for(settings: Settings, host: str, port: int) -> tuple[Settings, FakeGraphAPI]:
    """``serve`` with the simulator on: the bot talks to an in-process fake Graph API, which
    posts its status webhooks to this server."""
    from snakecakes.simulator.fake_graph import FakeGraphAPI

    assert settings.whatsapp_app_secret is not None
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    graph = FakeGraphAPI(
        webhook_url=f"http://{local}:{port}/webhook",
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
    ).start()
    return settings.model_copy(update={"whatsapp_api_base_url": graph.url}), graph


def _error(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def simulator_blueprint(hub: SimulatorHub) -> Blueprint:
    bp = Blueprint(
        "simulator",
        __name__,
        url_prefix="/simulator",
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )

    def webhook_url() -> str:
        return request.host_url.rstrip("/") + "/webhook"

    @bp.before_request
    def guard() -> tuple[Response, int] | None:
        if request.method == "POST" and request.headers.get("X-Simulator") != "1":
            return _error("missing X-Simulator header", 403)
        return None

    @bp.errorhandler(SimulatorError)
    def refused(exc: SimulatorError) -> tuple[Response, int]:
        return _error(str(exc))

    @bp.get("")
    @bp.get("/")
    def page() -> str:
        return render_template("simulator.html", graph_connected=hub.graph is not None)

    @bp.get("/api/state")
    def state() -> Response:
        return jsonify(
            {
                "bots": hub.bots_json(),
                "customers": [c.as_json() for c in hub.store.customers()],
                "graph_connected": hub.graph is not None,
            }
        )

    @bp.post("/api/customers")
    def add_customer() -> Response:
        data = _json()
        customer = hub.store.add_customer(str(data.get("wa_id", "")), str(data.get("name", "")))
        return jsonify(customer.as_json())

    @bp.get("/api/chat")
    def chat() -> Response:
        args = request.args
        since = int(args["since"]) if args.get("since", "").isdigit() else 0
        return jsonify(hub.store.changes(args.get("bot", ""), args.get("customer", ""), since))

    @bp.post("/api/send")
    def send() -> Response:
        data = _json()
        entry = hub.send(
            webhook_url(),
            str(data.get("bot", "")),
            str(data.get("customer", "")),
            str(data.get("type", "")),
            data,
        )
        return jsonify(entry.as_json())

    @bp.post("/api/upload")
    def upload() -> Response:
        file = request.files.get("file")
        if file is None:
            raise SimulatorError("choose a file")
        mime = (file.mimetype or "application/octet-stream").lower()
        entry = hub.send_media(
            webhook_url(),
            request.form.get("bot", ""),
            request.form.get("customer", ""),
            file.read(),
            mime,
            file.filename,
            request.form.get("caption") or None,
        )
        return jsonify(entry.as_json())

    @bp.post("/api/read")
    def read() -> Response:
        data = _json()
        ids = [int(i) for i in data.get("ids", []) if isinstance(i, int)]
        count = hub.seen(str(data.get("bot", "")), str(data.get("customer", "")), ids)
        return jsonify({"read": count})

    @bp.get("/media/<media_id>")
    def media(media_id: str) -> Response | tuple[Response, int]:
        """Media the bot uploaded or the customer sent. Only common raster images are shown
        inline; everything else is a download, so an uploaded SVG or HTML file cannot run."""
        found = (
            hub.graph.media.get(media_id) if hub.graph and _MEDIA_ID.fullmatch(media_id) else None
        )
        if found is None:
            return _error("unknown media", 404)
        inline = found.mime_type in IMAGE_TYPES
        response = Response(
            found.data, mimetype=found.mime_type if inline else "application/octet-stream"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        if not inline:
            filename = re.sub(r"[^\w.\- ]", "_", found.filename or "file")
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @bp.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        return response

    return bp


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise SimulatorError("expected a JSON object")
    return data
