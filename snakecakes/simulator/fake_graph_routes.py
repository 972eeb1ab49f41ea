"""Request handling of the fake Graph API: routing, faults, auth, validation, answers.

Split from ``fake_graph`` (the public facade) only to keep modules small. The order of checks
for one request is: staged or random fault, token, body, validation, rate limit, accept. Faults
come first because they stand for things outside Meta's logic (network, overload).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from snakecakes.simulator.fake_graph_auth import AuthFailure
from snakecakes.simulator.fake_graph_faults import (
    Delay,
    Drop,
    Fault,
    HttpStatus,
    MetaError,
    Timeout,
    error_for_status,
    meta_error_body,
)
from snakecakes.simulator.fake_graph_http import Incoming, Reply
from snakecakes.simulator.fake_graph_media import parse_multipart
from snakecakes.simulator.openapi_validation import (
    SendBodyInvalid,
    is_mark_read,
    validate_send_body,
)

if TYPE_CHECKING:
    from snakecakes.simulator.fake_graph import FakeGraphAPI

_VERSION = re.compile(r"v\d+(\.\d+)?")
_TOO_FAST = (
    "Message failed to send because there were too many messages sent from this phone number "
    "in a short period of time"
)

Outcome = tuple[Reply, str | None]  # the answer and the wamid of an accepted message


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it. ``status`` 0 means it was never answered (Timeout,
    Drop); ``wamid`` is set when a message was accepted (also for ``Drop(accepted=True)``);
    ``headers`` keys are lower case; ``fault`` is the staged or random fault that hit it."""

    method: str
    path: str
    phone_number_id: str | None
    headers: Mapping[str, str]
    body: bytes
    json: Any
    at: float
    status: int
    wamid: str | None
    fault: Fault | None = None


def new_wamid() -> str:
    """A fresh message id shaped like Meta's (``wamid.`` + base64)."""
    return "wamid." + base64.urlsafe_b64encode(secrets.token_bytes(30)).decode()


def error_reply(error: MetaError) -> Reply:
    return Reply(error.http_status, meta_error_body(error.code, error.details, error.subcode))


class Routes:
    def __init__(self, api: FakeGraphAPI) -> None:
        self.api = api

    def respond(self, req: Incoming) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        if parts and _VERSION.fullmatch(parts[0]):
            parts = parts[1:]
        token = _bearer(req.headers.get("authorization", ""))
        if req.method == "POST" and len(parts) == 2 and parts[1] == "messages":
            body = _json_or_none(req.body)
            target = "read" if isinstance(body, dict) and is_mark_read(body) else "send"
            return self._guarded(
                req, target, parts[0], body, lambda: self._message(parts[0], token, body)
            )
        if req.method == "POST" and len(parts) == 2 and parts[1] == "media":
            return self._guarded(
                req, "media", parts[0], None, lambda: self._upload(req, parts[0], token)
            )
        if req.method == "GET" and len(parts) == 1:
            return self._guarded(
                req, "media", None, None, lambda: self._media_info(parts[0], token)
            )
        if req.method == "GET" and len(parts) == 2 and parts[0] == "media-download":
            return self._guarded(
                req, "media", None, None, lambda: self._download(req, parts[1], token)
            )
        unknown = error_reply(MetaError(100, details=f"Unknown path components: {req.path}"))
        return self._guarded(req, "any", None, _json_or_none(req.body), lambda: (unknown, None))

    def _guarded(
        self,
        req: Incoming,
        target: str,
        phone_number_id: str | None,
        body: Any,
        process: Callable[[], Outcome],
    ) -> Reply:
        """Apply the fault for this request (if any) around ``process``, then record it."""
        fault = self.api.faults.take(target, body)
        wamid = None
        if isinstance(fault, Delay):
            self.api.stopping.wait(fault.seconds)
        if isinstance(fault, Timeout):
            reply = Reply(0, hold=fault.seconds)
        elif isinstance(fault, Drop) and not fault.accepted:
            reply = Reply(0)
        elif isinstance(fault, HttpStatus):
            reply = error_reply(error_for_status(fault.status))
        elif isinstance(fault, MetaError):
            reply = error_reply(fault)
        else:
            reply, wamid = process()
            if isinstance(fault, Drop):  # accepted (or refused) by "Meta", answer lost
                reply = Reply(0)
        self.api.record(_recorded(req, phone_number_id, body, reply.status, wamid, fault))
        return reply

    def _message(self, phone_number_id: str, token: str, body: Any) -> Outcome:
        api = self.api
        if failure := api.tokens.check_number(phone_number_id, token):
            return _refused(failure)
        if not isinstance(body, dict):
            return error_reply(MetaError(100, details="The body must be a JSON object")), None
        if api.validate:
            try:
                validate_send_body(body)
            except SendBodyInvalid as exc:
                return error_reply(MetaError(100, details=str(exc))), None
        if is_mark_read(body):
            return Reply(200, {"success": True}), None
        if not api.rate_window.admit(phone_number_id, time.monotonic()):
            return error_reply(MetaError(130429, details=_TOO_FAST)), None
        wamid = new_wamid()
        address = body.get("to") or body.get("recipient") or ""
        if body.get("to"):
            contact = {"input": address, "wa_id": re.sub(r"\D", "", address) or address}
        else:
            contact = {"input": address, "user_id": address}
        sent: dict[str, Any] = {"id": wamid}
        if body.get("type") == "template":
            sent["message_status"] = "accepted"
        if api.auto_status:
            api.poster.enqueue(wamid, contact.get("wa_id") or address, phone_number_id)
        answer = {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}
        return Reply(200, answer), wamid

    def _upload(self, req: Incoming, phone_number_id: str, token: str) -> Outcome:
        if failure := self.api.tokens.check_number(phone_number_id, token):
            return _refused(failure)
        try:
            parts = parse_multipart(req.headers.get("content-type", ""), req.body)
        except ValueError as exc:
            return error_reply(
                MetaError(100, details=f"Expected a multipart/form-data body: {exc}")
            ), None
        product = parts.get("messaging_product")
        if product is None or product.data.decode(errors="replace") != "whatsapp":
            return error_reply(MetaError(100, details="messaging_product must be 'whatsapp'")), None
        file = parts.get("file")
        if file is None or not file.data:
            return error_reply(
                MetaError(131053, details="The file field is missing or empty")
            ), None
        kind = parts.get("type")
        mime = kind.data.decode(errors="replace") if kind else file.content_type
        if not mime:
            return error_reply(MetaError(100, details="type (the MIME type) is required")), None
        return Reply(200, {"id": self.api.media.add(file.data, mime, file.filename)}), None

    def _media_info(self, media_id: str, token: str) -> Outcome:
        if failure := self.api.tokens.check_token(token):
            return _refused(failure)
        info = self.api.media.info(media_id, self.api.url)
        if info is None:
            details = f"Unsupported get request. Object with ID '{media_id}' does not exist"
            return error_reply(MetaError(100, details=details, subcode=33)), None
        return Reply(200, info), None

    def _download(self, req: Incoming, media_id: str, token: str) -> Outcome:
        if failure := self.api.tokens.check_token(token):
            return _refused(failure)
        media = self.api.media.download(media_id, req.query.get("hash", ""))
        if media is None:
            return error_reply(MetaError(100, 404, "The media URL is unknown or has expired")), None
        return Reply(200, body=media.data, content_type=media.mime_type), None


def _recorded(
    req: Incoming,
    phone_number_id: str | None,
    body: Any,
    status: int,
    wamid: str | None,
    fault: Fault | None,
) -> RecordedRequest:
    return RecordedRequest(
        method=req.method,
        path=req.path,
        phone_number_id=phone_number_id,
        headers=req.headers,
        body=req.body,
        json=body,
        at=req.at,
        status=status,
        wamid=wamid,
        fault=fault,
    )


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _refused(failure: AuthFailure) -> Outcome:
    error = MetaError(failure.code, failure.http_status, failure.details, failure.subcode)
    return error_reply(error), None
