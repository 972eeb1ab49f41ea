"""The webhook door, without Flask: verify, parse, store once, then wake the dispatcher.

Everything here is on the acknowledgement path that Meta times, so it does the least that makes
an update durable: one signature check per distinct app secret, one parse, one transaction.
Outcomes map to HTTP statuses chosen for Meta's retry behaviour: anything but 200 is redelivered,
so we answer 200 whenever redelivery cannot help (unknown number), and 503 when it will
(database down), so that nothing acknowledged is ever lost.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from snakecakes import metrics
from snakecakes.bot.bots import BotCredentials, BotDirectory
from snakecakes.bot.hooks import Dispatcher, StoredUpdates
from snakecakes.bot.intake_rows import Rows, rows_for_change, scrub_nul
from snakecakes.bot.whatsapp.parse import PayloadError, parse_envelope
from snakecakes.bot.whatsapp.signature import matching_secrets
from snakecakes.db.database import DB_UNAVAILABLE, Database
from snakecakes.db.inserts import insert_new
from snakecakes.db.models import InboxMessage, MessageStatus, WebhookEvent
from snakecakes.logs import log_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    status: int
    outcome: str
    body: str = ""
    messages_new: int = 0
    statuses_new: int = 0


_children: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    """A labelled metric, looked up once (``labels()`` costs a lock and a tuple per call)."""
    key = (id(metric), *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def _result(status: int, outcome: str, body: str = "", **counts: int) -> IntakeResult:
    _child(metrics.WEBHOOK_REQUESTS, "POST", outcome).inc()
    return IntakeResult(status, outcome, body, **counts)


class WebhookIntake:
    def __init__(self, db: Database, bots: BotDirectory, dispatcher: Dispatcher) -> None:
        self.db = db
        self.bots = bots
        self.dispatcher = dispatcher

    def verify_subscription(self, mode: str | None, token: str | None, challenge: str) -> bool:
        """Meta's GET handshake: the token may be any active bot's verify token."""
        if mode != "subscribe" or not token:
            return False
        given = token.encode()
        ok = any(hmac.compare_digest(given, t.encode()) for t in self.bots.verify_tokens())
        metrics.WEBHOOK_REQUESTS.labels("GET", "verified" if ok else "verify_denied").inc()
        return ok

    def receive(self, body: bytes, signature: str | None) -> IntakeResult:
        if not signature:
            log.warning("webhook without X-Hub-Signature-256 refused")
            return _result(401, "missing_signature", "missing signature")
        try:
            return self._receive_signed(body, signature)
        except DB_UNAVAILABLE as exc:
            log.error("database unavailable, webhook refused for redelivery: %s", _reason(exc))
            return _result(503, "db_unavailable", "try again")

    def _receive_signed(self, body: bytes, signature: str) -> IntakeResult:
        matched = matching_secrets(signature, body, self.bots.app_secrets())
        if not matched:
            log.warning("webhook with a wrong signature refused (%d bytes)", len(body))
            return _result(403, "bad_signature", "invalid signature")
        try:
            data = json.loads(body)
            envelope = parse_envelope(data)
        except (ValueError, PayloadError) as exc:
            log.warning("malformed webhook body refused: %s", _reason(exc))
            return _result(400, "malformed", "malformed payload")

        rows = Rows()
        for change in envelope.changes:
            if change.phone_number_id:
                bot = self.bots.get(change.phone_number_id)
            else:
                bot = self.bots.for_account(change.waba_id, matched)
            if bot is None:
                metrics.UNKNOWN_NUMBERS.inc()
                log.warning(
                    "update for unknown phone_number_id %s ignored (field %s)",
                    change.phone_number_id,
                    change.field,
                )
                continue
            if bot.app_secret not in matched:
                return self._cross_bot(bot)
            rows_for_change(rows, bot.id, change)
        for rejected in envelope.rejected:
            metrics.WEBHOOK_UPDATES.labels("rejected", "stored").inc()
            log.warning("webhook item not understood (%s): %s", rejected.kind, rejected.reason)
            bot_id = rows.bot_for_rejected(rejected, data, self.bots)
            if bot_id is not None:
                item = {"reason": rejected.reason, "item": rejected.raw}
                rows.events.append(
                    {"bot_id": bot_id, "field": f"rejected:{rejected.kind}"[:64], "payload": item}
                )
        if not rows:
            return _result(200, "nothing_stored", "ok")
        return self._store(rows, scrub=b"\\u0000" in body)

    def _cross_bot(self, bot: BotCredentials) -> IntakeResult:
        with log_context(bot_id=bot.id):
            log.warning(
                "signed payload carries updates for a bot of another Meta app: refused whole"
            )
        return _result(403, "cross_bot", "signature does not cover this phone number")

    def _store(self, rows: Rows, *, scrub: bool) -> IntakeResult:
        if scrub and not self.db.is_sqlite:
            rows = scrub_nul(rows)
        with self.db.write_connection() as conn:
            new_msgs = insert_new(
                conn,
                InboxMessage,
                rows.messages,
                ("bot_id", "wamid"),
                returning=("bot_id", "customer_key", "id"),
            )
            new_statuses = insert_new(
                conn,
                MessageStatus,
                rows.statuses,
                ("bot_id", "wamid", "status"),
                returning=("bot_id",),
            )
            if rows.events:
                conn.execute(insert(WebhookEvent), rows.events)
        self._count(rows, len(new_msgs), len(new_statuses))
        received = time.time()
        stored = StoredUpdates(
            chats=frozenset((bot_id, key) for bot_id, key, _ in new_msgs),
            status_bots=frozenset(bot_id for (bot_id,) in new_statuses),
            messages=tuple((b, k, row_id, received) for b, k, row_id in new_msgs),
        )
        if stored:
            self._notify(stored)
        if log.isEnabledFor(logging.DEBUG):
            self._log_stored(rows, len(new_msgs), len(new_statuses))
        return _result(
            200, "stored", "ok", messages_new=len(new_msgs), statuses_new=len(new_statuses)
        )

    @staticmethod
    def _log_stored(rows: Rows, new_msgs: int, new_statuses: int) -> None:
        bot_label = next(iter(rows.bot_ids)) if len(rows.bot_ids) == 1 else "several"
        with log_context(bot_id=bot_label):
            log.debug(
                "webhook stored: %d new messages, %d new statuses, %d events (%d duplicates)",
                new_msgs,
                new_statuses,
                len(rows.events),
                len(rows.messages) + len(rows.statuses) - new_msgs - new_statuses,
            )

    def _notify(self, stored: StoredUpdates) -> None:
        try:
            self.dispatcher.notify(stored)
        except Exception:
            metrics.DISPATCH_ERRORS.inc()
            log.exception("dispatcher notification failed; the pending sweep will pick it up")

    @staticmethod
    def _count(rows: Rows, new_msgs: int, new_statuses: int) -> None:
        updates = metrics.WEBHOOK_UPDATES
        _child(updates, "message", "stored").inc(new_msgs)
        _child(updates, "message", "duplicate").inc(len(rows.messages) - new_msgs)
        _child(updates, "status", "stored").inc(new_statuses)
        _child(updates, "status", "duplicate").inc(len(rows.statuses) - new_statuses)
        _child(updates, "event", "stored").inc(len(rows.events))


def _reason(exc: BaseException) -> str:
    """A short reason for a log line: the exception type and its first line, never a body."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:200]}"
