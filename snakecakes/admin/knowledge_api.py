"""The admin JSON API for a bot's documents and the feedback on answers given from them.

    GET    /api/knowledge/documents              list
    POST   /api/knowledge/documents              add or replace: multipart `file` (+ `title`,
                                                 `url`, `source`), or JSON {"source", "content",
                                                 "kind", "title", "url"}
    DELETE /api/knowledge/documents/<id>         remove
    GET    /api/knowledge/feedback               👍/👎 counts per document, latest votes

Bearer ADMIN_API_TOKEN on every call (401 without or with a wrong one, 503 when none is set);
`?bot=<phone_number_id>` picks the bot, else the default (or only) bot.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from snakecakes.knowledge import feedback, store
from snakecakes.knowledge.ingest import IngestError, kind_of

log = logging.getLogger(__name__)

knowledge_api = Blueprint("knowledge_api", __name__, url_prefix="/api/knowledge")


class KnowledgeApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _services() -> Any:
    return current_app.extensions["snakecakes"]


@knowledge_api.errorhandler(KnowledgeApiError)
def _error(exc: KnowledgeApiError) -> tuple[Response, int]:
    return jsonify({"error": str(exc)}), exc.status


@knowledge_api.before_request
def _authorise() -> None:
    token = _services().settings.admin_api_token
    if token is None:
        raise KnowledgeApiError(503, "the admin API is off: set ADMIN_API_TOKEN")
    given = request.headers.get("Authorization", "")
    expected = "Bearer " + token.get_secret_value()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning(
            "knowledge API: refused %s %s (bad or missing token)", request.method, request.path
        )
        raise KnowledgeApiError(401, "missing or wrong bearer token")


def _bot_id() -> int:
    bots = _services().bots
    bots.refresh()
    wanted = request.args.get("bot")
    if wanted:
        bot = bots.get(wanted)
        if bot is None:
            raise KnowledgeApiError(404, f"no bot with phone_number_id {wanted}")
        return int(bot.id)
    every = bots.all()
    default = [b for b in every if b.is_default] or (every if len(every) == 1 else [])
    if not default:
        raise KnowledgeApiError(400, "several bots: say which with ?bot=<phone_number_id>")
    return int(default[0].id)


def _document(info: store.DocumentInfo) -> dict[str, Any]:
    out = asdict(info)
    out["updated_at"] = info.updated_at.isoformat()
    return out


@knowledge_api.get("/documents")
def list_documents() -> Response:
    bot_id = _bot_id()
    with _services().db.read() as session:
        found = store.list_documents(session, bot_id)
    return jsonify({"documents": [_document(d) for d in found]})


@knowledge_api.post("/documents")
def add_document() -> tuple[Response, int]:
    bot_id = _bot_id()
    upload = request.files.get("file")
    if upload is not None:
        data = upload.read()
        fields: dict[str, Any] = dict(request.form)
        source = fields.get("source") or upload.filename or ""
        content_type = upload.mimetype
    else:
        fields = request.get_json(silent=True) or {}
        if not isinstance(fields, dict) or not isinstance(fields.get("content"), str):
            raise KnowledgeApiError(
                400, "send a multipart `file`, or JSON with `source` and `content` (text)"
            )
        data = fields["content"].encode("utf-8")
        source = fields.get("source") or ""
        content_type = None
    if not isinstance(source, str) or not source.strip():
        raise KnowledgeApiError(400, "the document needs a `source` (a file name, path or URL)")
    try:
        kind = fields.get("kind") or kind_of(source, content_type)
        if kind not in ("markdown", "text", "html", "pdf"):
            raise IngestError(f"kind must be markdown, text, html or pdf, not {kind!r}")
        with _services().db.transaction() as session:
            result = store.add_document(
                session,
                bot_id,
                data,
                source=source,
                kind=kind,
                title=fields.get("title") or None,
                url=fields.get("url") or None,
            )
    except IngestError as exc:
        raise KnowledgeApiError(400, str(exc)) from None
    log.info("knowledge document %s %s (%s)", result.document.id, result.status, source)
    body = {"status": result.status, "document": _document(result.document)}
    return jsonify(body), 201 if result.status == "added" else 200


@knowledge_api.delete("/documents/<int:document_id>")
def remove_document(document_id: int) -> Response:
    bot_id = _bot_id()
    with _services().db.transaction() as session:
        removed = store.remove_document(session, bot_id, document_id)
    if removed is None:
        raise KnowledgeApiError(404, f"no document {document_id}")
    return jsonify({"removed": _document(removed)})


@knowledge_api.get("/feedback")
def feedback_counts() -> Response:
    bot_id = _bot_id()
    with _services().db.read() as session:
        counts = feedback.counts_per_document(session, bot_id)
        latest = [
            {
                "ref": row.ref,
                "question": row.question,
                "answer": row.answer,
                "sources": row.sources,
                "vote": row.vote,
                "reason": row.reason,
                "voted_at": row.voted_at.isoformat() if row.voted_at else None,
            }
            for row in feedback.answers_with_feedback(session, bot_id)
        ]
    return jsonify({"documents": [asdict(c) for c in counts], "latest": latest})


def register_knowledge_api(app: Flask) -> None:
    app.register_blueprint(knowledge_api)
