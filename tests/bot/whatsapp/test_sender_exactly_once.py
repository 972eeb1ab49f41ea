"""Exactly once under overlap and database errors: a second drain of a chat while a send is in
flight, a database error right after Meta accepted a send, and the sweep meeting a chat whose
drain is still waiting in the queue. Each of these sent a message twice (or woke a chat twice)
before the attempt lease, the in-process record of accepted sends and the sweep's queue check."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from snakecakes.bot.whatsapp import messages, outbox, sender
from snakecakes.simulator.fake_graph import Delay
from tests.bot.whatsapp.conftest import Outbound
from tests.support.waiting import eventually


def queue_quietly(out: Outbound, to: str, text: str) -> int:
    """A row with no wake-up: the test decides which drain runs."""
    with out.db.transaction() as s:
        return outbox.queue_message(
            s, bot_id=out.bot_a, chat_key=to, recipient=to, body=messages.text(to, text)
        )


def test_a_second_drain_of_a_chat_does_not_resend_a_message_in_flight(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory(SNAKECAKES_GRAPH_TIMEOUT_SECONDS=10)  # no timeout on a busy machine
    out.graph.inject(Delay(0.8))  # Meta is slow to accept the first request
    to = "4915100000050"
    queue_quietly(out, to, "only once")
    first = threading.Thread(target=sender.send_due, args=(out.bot_a, to))
    first.start()
    eventually(lambda: out.rows()[0].state == "sending")
    time.sleep(0.1)  # the first drain's request is at the (slow) fake now
    sender.send_due(out.bot_a, to)  # an overlapping drain: a recovered or duplicate workflow
    first.join(10)
    rows = eventually(lambda: out.all_final(1))
    assert out.texts_sent_to(to) == ["only once"]
    assert rows[0].state == "sent" and rows[0].attempts == 1 and not rows[0].possible_duplicate


def test_a_database_error_after_an_accepted_send_does_not_send_it_again(
    outbound_factory: Callable[..., Outbound], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = outbound_factory()
    database = out.runtime.sender.context.db
    failed: list[bool] = []

    def in_send_due() -> bool:
        frame: Any = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_name == "send_due":
                return True
            frame = frame.f_back
        return False

    def flaky(real: Callable[[], Any]) -> Callable[[], Any]:
        @contextmanager
        def write() -> Iterator[Any]:
            # the sender's first write after Meta accepted a message hits a database hiccup
            if not failed and out.graph.sent_messages() and in_send_due():
                failed.append(True)
                raise OperationalError("UPDATE outbox", {}, Exception("database is locked"))
            with real() as handle:
                yield handle

        return write

    monkeypatch.setattr(database, "transaction", flaky(database.transaction))
    monkeypatch.setattr(database, "write_connection", flaky(database.write_connection))
    to = "4915100000051"
    out.queue(to, "accepted once")
    out.queue(to, "and the next")
    rows = eventually(lambda: out.all_final(2))
    assert failed  # the hiccup happened (the step was retried by DBOS)
    assert out.texts_sent_to(to) == ["accepted once", "and the next"]
    assert [r.state for r in rows] == ["sent", "sent"]
    assert not any(r.possible_duplicate for r in rows)
    assert {r.wamid for r in rows} == {r.wamid for r in out.graph.sent_messages()}


def test_the_sweep_leaves_a_chat_alone_while_its_drain_waits_in_the_queue(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory(SNAKECAKES_SWEEP_SECONDS=3600, SNAKECAKES_SWEEP_GRACE_SECONDS=0.2)
    waiting, lost = "4915100000052", "4915100000053"
    queue_quietly(out, waiting, "my drain is queued")
    queue_quietly(out, lost, "my wake-up was lost")
    sender.enqueue_drain(out.bot_a, waiting, delay=60)  # e.g. behind a backlog, or paced
    time.sleep(0.4)  # both rows are overdue now
    assert out.runtime.sender.sweep() == 1  # only the chat without a drain is woken
    eventually(lambda: out.texts_sent_to(lost) == ["my wake-up was lost"])
    assert out.texts_sent_to(waiting) == []
