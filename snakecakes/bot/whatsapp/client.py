"""Graph API client: one pooled ``httpx.Client`` shared by every business number.

``GraphClient`` owns the connection pool (TLS handshakes to graph.facebook.com are the expensive
part); ``for_number`` hands out a cheap ``NumberClient`` bound to one phone number id and its
token, so several bots with different tokens share one pool.

The client does not retry, except for refetching an expired media URL: retry policy (backoff,
per-recipient pacing, the "a timeout may hide a send" rule) belongs to the sender, which gets
everything it needs from the exception classes in ``errors``. Error answers become
``errors.error_from_response``; network failures become ``TransportError`` with ``maybe_sent``
telling whether Meta may have received the request.

The access token only ever travels in the ``Authorization`` header: it is not stored in any
exception, repr or log line, and is scrubbed from error answers in case Meta echoes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from snakecakes.bot.whatsapp import messages
from snakecakes.bot.whatsapp.errors import (
    MediaTooLargeError,
    TransientError,
    TransportError,
    WhatsAppError,
    error_from_response,
)
from snakecakes.bot.whatsapp.formatting import split_text

# Meta's upload limits by MIME major type (CLOUD_API.md); anything else is a document.
UPLOAD_LIMITS = {"image": 5 * 2**20, "audio": 16 * 2**20, "video": 16 * 2**20}
DOCUMENT_LIMIT = 100 * 2**20
_STALE_URL = (401, 403, 404)
# Failures that happen before the request can have left this machine.
_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)  # the media URL expired (it lives 5 minutes): fetch a new one


@dataclass(frozen=True)
class SendResult:
    """Meta accepted the message (not yet delivered): its wamid and the resolved recipient."""

    wamid: str
    wa_id: str | None
    input: str | None


@dataclass(frozen=True)
class MediaInfo:
    """``GET /{media_id}``: a download URL valid for 5 minutes, and what it should yield."""

    url: str
    mime_type: str | None
    sha256: str | None
    file_size: int | None


class GraphClient:
    """The shared connection pool. Thread-safe; close it once at shutdown."""

    def __init__(
        self,
        base_url: str = "https://graph.facebook.com",
        version: str = "v23.0",
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 20.0,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self._http = httpx.Client(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_keepalive_connections,
                keepalive_expiry=keepalive_expiry,
            ),
            headers={"User-Agent": "snakecakes"},
            transport=transport,
        )

    def for_number(self, phone_number_id: str, access_token: str) -> NumberClient:
        return NumberClient(self, phone_number_id, access_token)

    def url(self, *path: str) -> str:
        return "/".join((self.base_url, self.version, *path))

    @property
    def http(self) -> httpx.Client:
        return self._http

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GraphClient({self.base_url!r}, {self.version!r})"


def _transport_error(exc: httpx.TransportError) -> TransportError:
    """``maybe_sent`` is False only where the request surely never left: no connection was made."""
    name = type(exc).__name__
    detail = str(exc) or "no detail"
    return TransportError(f"{name}: {detail}", maybe_sent=not isinstance(exc, _NEVER_SENT))


class NumberClient:
    """The Graph API as one business number sees it. Cheap to create; shares the pool."""

    __slots__ = ("_auth", "_graph", "_token", "phone_number_id")

    def __init__(self, graph: GraphClient, phone_number_id: str, access_token: str) -> None:
        self._graph = graph
        self.phone_number_id = phone_number_id
        self._token = access_token
        self._auth = {"Authorization": f"Bearer {access_token}"}

    def __repr__(self) -> str:
        return f"NumberClient(phone_number_id={self.phone_number_id!r})"

    # --- plumbing -----------------------------------------------------------------------------

    def _error(self, response: httpx.Response) -> WhatsAppError:
        text = response.text
        if self._token:
            text = text.replace(self._token, "[access token]")
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = text
        return error_from_response(response.status_code, body)

    @contextmanager
    def _call(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """One streamed request; error answers and network failures become our exceptions."""
        try:
            with self._graph.http.stream(method, url, headers=self._auth, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._error(response)
                yield response
        except httpx.TransportError as exc:
            raise _transport_error(exc) from exc

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        with self._call(method, url, **kwargs) as response:
            response.read()
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # Meta answered 2xx but not with JSON: the request may well have taken effect.
            raise TransportError(
                f"unreadable answer (HTTP {response.status_code}) from {method} {url}",
                maybe_sent=method != "GET",
            )
        return data

    # --- messages -----------------------------------------------------------------------------

    def send(self, body: Mapping[str, Any]) -> SendResult:
        """POST one message body (see ``messages``); the wamid is Meta's "accepted"."""
        url = self._graph.url(self.phone_number_id, "messages")
        data = self._json("POST", url, json=dict(body))
        sent = data.get("messages")
        wamid = sent[0].get("id") if isinstance(sent, list) and sent else None
        if not isinstance(wamid, str) or not wamid:
            raise TransportError("send answered without a message id", maybe_sent=True)
        contacts = data.get("contacts")
        contact = contacts[0] if isinstance(contacts, list) and contacts else {}
        return SendResult(wamid=wamid, wa_id=contact.get("wa_id"), input=contact.get("input"))

    def send_texts(
        self, to: str, text: str, *, reply_to: str | None = None, limit: int = 4096
    ) -> list[SendResult]:
        """Send a long text as several messages (``split_text``); only the first one quotes.

        Stops at the first failure, losing the results so far: a sender that must know exactly
        which parts went out should split and record each part itself.
        """
        results = []
        for i, part in enumerate(split_text(text, limit)):
            body = messages.text(to, part, reply_to=reply_to if i == 0 else None)
            results.append(self.send(body))
        return results

    def mark_read(self, message_id: str, *, typing: bool = False) -> bool:
        """Blue ticks for an inbound message, optionally with a typing indicator."""
        url = self._graph.url(self.phone_number_id, "messages")
        data = self._json("POST", url, json=messages.mark_read(message_id, typing=typing))
        return bool(data.get("success"))

    # --- media --------------------------------------------------------------------------------

    def upload_media(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file for sending by id (ids live 30 days); refuses what Meta would refuse."""
        limit = UPLOAD_LIMITS.get(mime_type.split("/")[0], DOCUMENT_LIMIT)
        if len(data) > limit:
            raise MediaTooLargeError(
                f"{mime_type} file of {len(data)} bytes; WhatsApp accepts at most {limit}",
                size=len(data),
                limit=limit,
            )
        answer = self._json(
            "POST",
            self._graph.url(self.phone_number_id, "media"),
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, data, mime_type)},
        )
        media_id = answer.get("id")
        if not isinstance(media_id, str) or not media_id:
            raise TransientError(f"upload answered without a media id: {sorted(answer)}")
        return media_id

    def media_info(self, media_id: str) -> MediaInfo:
        answer = self._json("GET", self._graph.url(media_id))
        url = answer.get("url")
        if not isinstance(url, str) or not url:
            raise TransientError(f"media {media_id} answered without a URL")
        size = answer.get("file_size")
        return MediaInfo(
            url=url,
            mime_type=answer.get("mime_type"),
            sha256=answer.get("sha256"),
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        )

    def download_media(self, media_id: str, *, max_bytes: int) -> bytes:
        """The file behind an inbound media id, refusing anything over ``max_bytes``.

        The size is checked three times: the announced ``file_size``, the ``Content-Length``,
        and the bytes actually streamed, so a lying server cannot make us buffer more. The URL
        lives 5 minutes; if it answers 401/403/404 we fetch a fresh one once.
        """
        for attempt in (1, 2):
            info = self.media_info(media_id)
            self._check_size(media_id, info.file_size, max_bytes)
            try:
                content = self._fetch(media_id, info.url, max_bytes)
            except WhatsAppError as exc:
                if attempt == 1 and exc.http_status in _STALE_URL:
                    continue
                raise
            if info.sha256 and hashlib.sha256(content).hexdigest() != info.sha256.lower():
                raise TransientError(f"media {media_id} does not match its sha256")
            return content
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _check_size(media_id: str, size: int | None, max_bytes: int) -> None:
        if size is not None and size > max_bytes:
            raise MediaTooLargeError(
                f"media {media_id} has {size} bytes; the limit is {max_bytes}",
                size=size,
                limit=max_bytes,
            )

    def _fetch(self, media_id: str, url: str, max_bytes: int) -> bytes:
        with self._call("GET", url, follow_redirects=True) as response:
            length = response.headers.get("content-length", "")
            self._check_size(media_id, int(length) if length.isdigit() else None, max_bytes)
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise MediaTooLargeError(
                        f"media {media_id} sent more than {max_bytes} bytes",
                        size=None,
                        limit=max_bytes,
                    )
                chunks.append(chunk)
        return b"".join(chunks)
