"""Media of the fake Graph API: uploads, media info with short-lived download URLs, downloads.

Why it mimics Meta's two steps: the bot must first ``GET /{media_id}`` for a URL and then fetch
that URL with its bearer token, and a URL stops working after a few minutes (``media_url_ttl``),
so code that caches URLs instead of media ids fails here as it would against Meta.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import cast


@dataclass(frozen=True)
class Media:
    id: str
    data: bytes
    mime_type: str
    sha256: str
    filename: str | None = None


class MediaStore:
    """Thread-safe store of media and of the download URLs handed out for them."""

    def __init__(self, url_ttl: float = 300.0) -> None:
        self.url_ttl = url_ttl
        self._lock = threading.Lock()
        self._media: dict[str, Media] = {}
        self._urls: dict[str, tuple[str, float]] = {}  # nonce -> (media id, monotonic expiry)

    def add(self, data: bytes, mime_type: str, filename: str | None = None) -> str:
        media_id = str(10**15 + secrets.randbelow(9 * 10**15))  # 16 digits, like Meta's
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._media[media_id] = Media(media_id, data, mime_type, digest, filename)
        return media_id

    def get(self, media_id: str) -> Media | None:
        with self._lock:
            return self._media.get(media_id)

    def info(self, media_id: str, base_url: str) -> dict[str, object] | None:
        """The ``GET /{media_id}`` answer, with a fresh download URL; None if unknown."""
        media = self.get(media_id)
        if media is None:
            return None
        nonce = secrets.token_urlsafe(12)
        with self._lock:
            self._urls[nonce] = (media_id, time.monotonic() + self.url_ttl)
        expires = int(time.time() + self.url_ttl)
        return {
            "messaging_product": "whatsapp",
            "url": f"{base_url}/media-download/{media_id}?expires={expires}&hash={nonce}",
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": len(media.data),
            "id": media_id,
        }

    def download(self, media_id: str, nonce: str) -> Media | None:
        """The media behind a download URL, or None if the URL is unknown or expired."""
        with self._lock:
            entry = self._urls.get(nonce)
            if entry is None or entry[0] != media_id:
                return None
            if time.monotonic() >= entry[1]:
                del self._urls[nonce]
                return None
            return self._media.get(media_id)

    def clear(self) -> None:
        with self._lock:
            self._media.clear()
            self._urls.clear()


@dataclass(frozen=True)
class FormPart:
    name: str
    data: bytes
    filename: str | None
    content_type: str | None


def parse_multipart(content_type: str, body: bytes) -> dict[str, FormPart]:
    """The parts of a ``multipart/form-data`` body by field name (the stdlib email parser)."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ValueError("expected multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = cast(EmailMessage, BytesParser(policy=HTTP).parsebytes(head + body))
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    parts: dict[str, FormPart] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        ctype = part.get_content_type() if part.get("content-type") else None
        parts[name] = FormPart(name, data, part.get_filename(), ctype)
    return parts
