"""Webhook signature checks: small pure functions, so they are trivial to test.

Meta signs the raw request body with the app secret (HMAC-SHA256) and sends the hex digest in
``X-Hub-Signature-256: sha256=<hex>``. We hash the bytes exactly as received: re-serialised JSON
would differ (escaping, key order, non-ASCII text) and never match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value Meta would send for ``body`` signed with ``secret``."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def matching_secrets(header: str, body: bytes, secrets: Iterable[str]) -> list[str]:
    """The secrets (in the given order) whose signature of ``body`` equals ``header``.

    Every candidate is compared in constant time; a malformed header matches nothing.
    Several bots may share one Meta app, hence one secret may stand for many bots.
    """
    header = header.strip()
    if not header.startswith(PREFIX) or len(header) != len(PREFIX) + 64:
        return []
    given = header.encode()
    return [s for s in secrets if hmac.compare_digest(sign(body, s).encode(), given)]
