"""Status webhooks (sent / delivered / read / failed) that the fake Graph API posts to the bot.

Why: after Meta accepts a message it reports progress through signed webhooks, one status per
POST, in no guaranteed order and sometimes never. The fake posts them the same way, signed with
the app secret, so the bot's whole loop (send, then store statuses monotonically) runs in tests.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from snakecakes.bot.whatsapp.signature import sign

Json = dict[str, Any]

DEFAULT_WABA_ID = "102290129340398"
DEFAULT_DISPLAY_PHONE_NUMBER = "15550001111"


def status_payload(
    wamid: str,
    status: str,
    *,
    recipient_id: str,
    phone_number_id: str,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    errors: Sequence[Json] | None = None,
    timestamp: int | None = None,
) -> Json:
    """One webhook body carrying one status of one message."""
    item: Json = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "recipient_id": recipient_id,
    }
    if errors:
        item["errors"] = list(errors)
    value: Json = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
        "statuses": [item],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}],
    }


@dataclass(frozen=True)
class PostedStatus:
    """One status webhook the fake tried to deliver: the receiver's HTTP status or an error."""

    wamid: str
    status: str
    http_status: int | None
    error: str | None


class StatusPoster:
    """Posts status webhooks: synchronously (:meth:`post`) or from one background worker
    (:meth:`enqueue`, used by ``auto_status``). Remembers every attempt in ``posted``."""

    def __init__(
        self,
        webhook_url: str | None,
        app_secret: str | None,
        *,
        waba_id: str = DEFAULT_WABA_ID,
        display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
        gap: float = 0.0,
    ) -> None:
        self.webhook_url = webhook_url
        self.app_secret = app_secret
        self.waba_id = waba_id
        self.display_phone_number = display_phone_number
        self.gap = gap  # pause between the statuses of one message (auto_status only)
        self._lock = threading.Lock()
        self._posted: list[PostedStatus] = []
        self._queue: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._client: httpx.Client | None = None  # opened on first use, so a restart works

    @property
    def posted(self) -> list[PostedStatus]:
        with self._lock:
            return list(self._posted)

    def post(
        self,
        wamid: str,
        statuses: Sequence[str],
        *,
        recipient_id: str,
        phone_number_id: str,
        errors: Sequence[Json] | None = None,
    ) -> list[int]:
        """Post one webhook per status, in order; the receiver's HTTP statuses (0 = no answer)."""
        if self.webhook_url is None:
            raise RuntimeError("FakeGraphAPI has no webhook_url to post statuses to")
        codes = []
        for status in statuses:
            payload = status_payload(
                wamid,
                status,
                recipient_id=recipient_id,
                phone_number_id=phone_number_id,
                waba_id=self.waba_id,
                display_phone_number=self.display_phone_number,
                errors=errors if status == "failed" else None,
            )
            codes.append(self._deliver(wamid, status, json.dumps(payload).encode()))
        return codes

    def _deliver(self, wamid: str, status: str, body: bytes) -> int:
        headers = {"Content-Type": "application/json"}
        if self.app_secret is not None:
            headers["X-Hub-Signature-256"] = sign(body, self.app_secret)
        assert self.webhook_url is not None
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=10.0)
            client = self._client
        try:
            response = client.post(self.webhook_url, content=body, headers=headers)
            entry = PostedStatus(wamid, status, response.status_code, None)
        except httpx.HTTPError as exc:
            entry = PostedStatus(wamid, status, None, f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._posted.append(entry)
        return entry.http_status or 0

    def clear(self) -> None:
        with self._lock:
            self._posted.clear()

    def enqueue(self, wamid: str, recipient_id: str, phone_number_id: str) -> None:
        """Post sent, delivered, read for this message soon, from the background worker."""
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="fake-graph-statuses", daemon=True
                )
                self._worker.start()
        self._queue.put((wamid, recipient_id, phone_number_id))

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            wamid, recipient_id, phone_number_id = job
            for status in ("sent", "delivered", "read"):
                if self.gap:
                    time.sleep(self.gap)
                self.post(
                    wamid, [status], recipient_id=recipient_id, phone_number_id=phone_number_id
                )

    def close(self) -> None:
        """Stop the worker (after the statuses already queued) and the HTTP client."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(None)
            worker.join(timeout=30)
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
