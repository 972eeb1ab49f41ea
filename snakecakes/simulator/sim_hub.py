"""The simulator's engine room: it plays the customer's phone and Meta around a real bot.

Why it goes through the real paths: what the page sends becomes a Meta-shaped webhook, signed
with the bot's app secret and POSTed to ``/webhook`` over HTTP, so the signature check, intake,
turns and sender all run as in production. The bot's answers are never read from the database;
they are what the bot sent to the (in-process) fake Graph API, observed as each request arrives.
Delivery statuses go back to the bot as signed webhooks too: "sent" and "delivered" shortly after
Meta would, "read" only once the page has actually shown the message, as a phone would.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from snakecakes.simulator import payloads as p
from snakecakes.simulator.sim_store import Entry, Json, SimStore, SimulatorError

if TYPE_CHECKING:
    from snakecakes.bot.bots import BotCredentials, BotDirectory
    from snakecakes.simulator.fake_graph import FakeGraphAPI
    from snakecakes.simulator.fake_graph_routes import RecordedRequest

log = logging.getLogger(__name__)

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
STATUS_STEP_SECONDS = 0.3  # how far apart "sent" and "delivered" arrive, so ticks visibly move


@dataclass(frozen=True)
class _StatusJob:
    due: float
    wamid: str
    status: str
    recipient: str
    phone_number_id: str


class SimulatorHub:
    def __init__(
        self,
        bots: BotDirectory,
        graph: FakeGraphAPI | None,
        *,
        status_step: float = STATUS_STEP_SECONDS,
    ) -> None:
        self.bots = bots
        self.graph = graph
        self.store = SimStore()
        self.status_step = status_step
        self._http = httpx.Client(timeout=30.0)
        self._jobs: queue.Queue[_StatusJob | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        if graph is not None:
            graph.auto_status = False  # the simulator reports statuses itself (read when seen)
            graph.subscribe(self._on_graph_request)
            self._worker = threading.Thread(target=self._run, name="simulator-statuses")
            self._worker.daemon = True
            self._worker.start()

    def close(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout=5)
            self._worker = None
        self._http.close()

    # -- bots --------------------------------------------------------------------------------

    def bot(self, phone_number_id: str) -> BotCredentials:
        found = self.bots.get(phone_number_id) if phone_number_id else None
        if found is None:
            raise SimulatorError(f"no bot with phone number id {phone_number_id!r}")
        return found

    def bots_json(self) -> list[Json]:
        bots = sorted(self.bots.all(), key=lambda b: (not b.is_default, b.id))
        return [
            {
                "phone_number_id": b.phone_number_id,
                "name": b.name,
                "display_phone_number": b.display_phone_number or p.DISPLAY_PHONE_NUMBER,
                "is_default": b.is_default,
            }
            for b in bots
        ]

    # -- the customer's side -----------------------------------------------------------------

    def send(self, webhook_url: str, bot_id: str, wa_id: str, kind: str, data: Json) -> Entry:
        """Build the customer's message of ``kind`` and deliver it as Meta would."""
        bot = self.bot(bot_id)
        customer = self.store.customer(wa_id)
        wamid = p.new_wamid(customer.wa_id)
        message = self._build(kind, wamid, customer.wa_id, data)
        if kind == "reaction":
            target = str(data.get("message_id") or "")
            self.store.react(target, "customer", str(data.get("emoji") or ""))
            self._deliver(webhook_url, bot, customer.wa_id, customer.name, message)
            found = self.store.entry(target)
            if found is None:
                raise SimulatorError("that message is not in this chat")
            return found[1]
        entry = self.store.add(bot.phone_number_id, customer.wa_id, "in", message, wamid)
        self._deliver(webhook_url, bot, customer.wa_id, customer.name, message)
        return entry

    def send_media(
        self,
        webhook_url: str,
        bot_id: str,
        wa_id: str,
        data: bytes,
        mime_type: str,
        filename: str | None,
        caption: str | None,
    ) -> Entry:
        """An uploaded file becomes media the bot can fetch (``GET /{media_id}``, then the
        download URL with its token) and an image or document webhook naming it."""
        if self.graph is None:
            raise SimulatorError("sending files needs the in-process fake Graph API")
        if not data:
            raise SimulatorError("the file is empty")
        bot = self.bot(bot_id)
        customer = self.store.customer(wa_id)
        kind = "image" if mime_type in IMAGE_TYPES else "document"
        media_id = self.graph.add_media(data, mime_type, filename)
        media = self.graph.media.get(media_id)
        assert media is not None
        wamid = p.new_wamid(customer.wa_id)
        message = p.media(
            kind,
            wamid,
            customer.wa_id,
            media_id=media_id,
            mime_type=mime_type,
            sha256=media.sha256,
            caption=caption or None,
            filename=(filename or "file") if kind == "document" else None,
        )
        entry = self.store.add(bot.phone_number_id, customer.wa_id, "in", message, wamid)
        self._deliver(webhook_url, bot, customer.wa_id, customer.name, message)
        return entry

    def _build(self, kind: str, wamid: str, wa_id: str, data: Json) -> Json:
        context = self._context(data.get("context_wamid"))
        if kind == "text":
            body = str(data.get("text") or "").strip()
            if not body:
                raise SimulatorError("type a message first")
            return p.text(wamid, wa_id, body[:4096])
        if kind in ("button_reply", "list_reply"):
            reply_id, title = str(data.get("id") or ""), str(data.get("title") or "")
            if not reply_id or not title:
                raise SimulatorError("a reply needs the id and title of what was tapped")
            if kind == "button_reply":
                return p.button_reply(wamid, wa_id, reply_id, title, context_id=context)
            description = data.get("description")
            return p.list_reply(
                wamid,
                wa_id,
                reply_id,
                title,
                str(description) if description else None,
                context_id=context,
            )
        if kind == "location":
            try:
                lat, lon = float(data["latitude"]), float(data["longitude"])
            except (KeyError, TypeError, ValueError):
                raise SimulatorError("latitude and longitude must be numbers") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise SimulatorError("latitude or longitude out of range")
            name, address = data.get("name") or None, data.get("address") or None
            return p.location(wamid, wa_id, lat, lon, name=name, address=address)
        if kind == "reaction":
            target = str(data.get("message_id") or "")
            if self.store.entry(target) is None:
                raise SimulatorError("that message is not in this chat")
            return p.reaction(wamid, wa_id, target, str(data.get("emoji") or "") or None)
        raise SimulatorError(f"unknown message kind {kind!r}")

    def _context(self, wamid: Any) -> str | None:
        """Replies quote the bot's message they answer, as WhatsApp does (``context.id``)."""
        return str(wamid) if wamid and self.store.entry(str(wamid)) is not None else None

    def _deliver(self, url: str, bot: BotCredentials, wa_id: str, name: str, msg: Json) -> None:
        change = p.change(
            bot.phone_number_id,
            display_phone_number=bot.display_phone_number or p.DISPLAY_PHONE_NUMBER,
            messages=[msg],
            contacts=[p.contact(wa_id, name)],
        )
        raw, headers = p.signed(
            p.envelope(change, waba_id=bot.waba_id or p.WABA_ID), bot.app_secret
        )
        wamid = str(msg["id"])
        try:
            response = self._http.post(url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            self.store.set_status(wamid, "failed", f"webhook unreachable: {type(exc).__name__}")
            raise SimulatorError(f"the webhook {url} did not answer") from exc
        if response.status_code != 200:
            self.store.set_status(wamid, "failed", f"webhook answered {response.status_code}")
            raise SimulatorError(f"the webhook answered {response.status_code}")
        self.store.set_status(wamid, "delivered")

    def seen(self, bot_id: str, wa_id: str, ids: list[int]) -> int:
        """The page showed these bubbles: report "read" for the bot's ones, once each."""
        bot = self.bot(bot_id)
        entries = self.store.take_unread(bot.phone_number_id, wa_id, ids)
        for entry in entries:
            assert entry.wamid is not None
            self._jobs.put(_StatusJob(0.0, entry.wamid, "read", wa_id, bot.phone_number_id))
        return len(entries)

    # -- the bot's side (fake Graph API requests) --------------------------------------------

    def _on_graph_request(self, req: RecordedRequest) -> None:
        body = req.json
        if req.method != "POST" or not req.path.endswith("/messages") or not req.phone_number_id:
            return
        if not isinstance(body, dict):
            return
        with contextlib.suppress(Exception):  # a listener must never break the fake's answer
            self._observe(req.phone_number_id, body, req.status, req.wamid)

    def _observe(self, phone_number_id: str, body: Json, status: int, wamid: str | None) -> None:
        if body.get("status") == "read":  # mark as read, maybe with the typing indicator
            message_id = str(body.get("message_id") or "")
            if status == 200 and message_id:
                self.store.set_status(message_id, "read")
                if isinstance(body.get("typing_indicator"), dict):
                    self.store.typing(message_id)
            return
        to = re.sub(r"\D", "", str(body.get("to") or ""))
        if not to:
            return
        if wamid is None:
            if status == 400:  # refused for good: show the developer why (a retry shows anyway)
                self.store.ensure_customer(to)
                error = f"refused by the Graph API: {_refusal(body)}"
                self.store.add(phone_number_id, to, "out", body, None, error=error)
            return
        if body.get("type") == "reaction":
            reaction = body.get("reaction") or {}
            self.store.react(str(reaction.get("message_id")), "bot", reaction.get("emoji") or "")
        else:
            self.store.ensure_customer(to)  # the bot may write first (tests, notices)
            self.store.add(phone_number_id, to, "out", body, wamid)
        now = time.monotonic()
        for step, tick in enumerate(("sent", "delivered"), start=1):
            due = now + step * self.status_step
            self._jobs.put(_StatusJob(due, wamid, tick, to, phone_number_id))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            wait = job.due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            assert self.graph is not None
            try:
                codes = self.graph.send_statuses(
                    job.wamid,
                    [job.status],
                    recipient_id=job.recipient,
                    phone_number_id=job.phone_number_id,
                )
            except RuntimeError as exc:  # no webhook URL known yet
                log.warning("simulator: status %s not posted: %s", job.status, exc)
                continue
            if codes and codes[0] == 200:
                self.store.set_status(job.wamid, job.status)
            else:
                log.warning("simulator: the webhook refused status %s (%s)", job.status, codes)


def _refusal(body: Json) -> str:
    """Why the (fake) Graph API refused a send body: its schema check, in words."""
    from snakecakes.simulator.openapi_validation import SendBodyInvalid, validate_send_body

    try:
        validate_send_body(body)
    except SendBodyInvalid as exc:
        return str(exc)[:300]
    return "HTTP 400"
