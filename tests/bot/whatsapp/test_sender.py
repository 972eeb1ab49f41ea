"""The outbox sender against the fake Graph API over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from sqlalchemy import update

from snakecakes.bot.bots import set_access_token
from snakecakes.crypto import SecretBox
from snakecakes.db.models import Bot
from snakecakes.simulator.fake_graph import HttpStatus, MetaError
from tests.bot.whatsapp.conftest import Outbound
from tests.conftest import PHONE_ID, SECRET_KEY
from tests.support.waiting import eventually


def test_messages_of_a_chat_are_sent_in_order_with_wamids(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory()
    for i in range(5):
        out.queue("4915100000001", f"hello {i}")
    rows = eventually(lambda: out.all_final(5))
    assert [r.state for r in rows] == ["sent"] * 5
    assert all(r.wamid and r.wamid.startswith("wamid.") for r in rows)
    assert out.texts_sent_to("4915100000001") == [f"hello {i}" for i in range(5)]
    assert {r.wamid for r in rows} == {r.wamid for r in out.graph.sent_messages()}


def test_30_percent_transient_faults_everything_delivered_in_order_with_backoff(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory()
    out.graph.fail_ratio(0.3, [HttpStatus(500), MetaError(130429), HttpStatus(429)], seed=7)
    customers = [f"49151000000{i:02d}" for i in range(4)]
    for i in range(8):
        for c in customers:
            out.queue(c, f"{c} #{i}")
    rows = eventually(lambda: out.all_final(32), timeout=60)
    assert all(r.state == "sent" for r in rows)
    assert sum(r.attempts for r in rows) > 32  # faults happened and were retried
    for c in customers:  # each chat kept its order through the retries
        assert out.texts_sent_to(c) == [f"{c} #{i}" for i in range(8)]
    # backoff is visible at the server: a retry comes at least base/2 after the failure
    by_text: dict[str, list[tuple[float, int]]] = {}
    for req in out.graph.requests:
        if req.path.endswith("/messages") and req.json and "text" in req.json:
            by_text.setdefault(req.json["text"]["body"], []).append((req.at, req.status))
    gaps = [
        later[0] - earlier[0]
        for attempts in by_text.values()
        for earlier, later in itertools.pairwise(attempts)
        if earlier[1] != 200
    ]
    assert gaps and min(gaps) >= 0.1


def test_permanent_error_is_not_retried_and_the_reason_is_recorded(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory()
    out.graph.inject(MetaError(131026, details="Receiver is incapable of receiving this message"))
    first = out.queue("4915100000009", "cannot be delivered")
    out.queue("4915100000009", "next one")
    rows = eventually(lambda: out.all_final(2))
    failed = next(r for r in rows if r.id == first)
    assert failed.state == "failed" and failed.attempts == 1 and failed.error_code == 131026
    assert "131026" in (failed.last_error or "")
    attempts = [r for r in out.graph.requests if r.json and r.json.get("text", {}).get("body") ==
                "cannot be delivered"]  # fmt: skip
    assert len(attempts) == 1
    assert rows[1].state == "sent"


def test_expired_token_pauses_only_that_bot_until_the_token_is_replaced(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory()
    out.graph.expire_token(PHONE_ID)
    for i in range(3):
        out.queue("4915100000021", f"a{i}")
        out.queue("4915100000022", f"b{i}", bot=out.bot_b)
    eventually(lambda: len(out.texts_sent_to("4915100000022")) == 3)
    with out.db.read() as s:
        bot_a = s.get(Bot, out.bot_a)
        assert bot_a is not None and (bot_a.paused_reason or "").startswith("access token")
    assert out.texts_sent_to("4915100000021") == []
    a_rows = [r for r in out.rows() if r.bot_id == out.bot_a]
    assert all(r.state == "queued" for r in a_rows)  # waiting, not failed
    out.graph.set_token(PHONE_ID, "EAAG-brand-new-token")
    assert set_access_token(out.db, SecretBox(SECRET_KEY), out.bot_a, "EAAG-brand-new-token")
    out.runtime.sender.resume(out.bot_a)
    eventually(lambda: out.texts_sent_to("4915100000021") == ["a0", "a1", "a2"])


def test_a_busy_customer_does_not_hold_up_the_others(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory(SNAKECAKES_PAIR_BURST=3, SNAKECAKES_PAIR_WINDOW_SECONDS=3)
    busy = "4915100000030"
    for i in range(10):
        out.queue(busy, f"busy {i}")
    others = [f"49151000001{i:02d}" for i in range(10)]
    for o in others:
        out.queue(o, f"hello {o}")
    eventually(lambda: all(out.texts_sent_to(o) for o in others))
    sent = {r.json["text"]["body"]: r.at for r in out.graph.sent_messages()}
    busy_times = [sent[f"busy {i}"] for i in range(10) if f"busy {i}" in sent]
    assert len(busy_times) <= 6  # paced: three now, three after the window, ...
    assert max(sent[f"hello {o}"] for o in others) < min(busy_times) + 2.0
    eventually(lambda: len(out.texts_sent_to(busy)) == 10, timeout=30)
    times = [sent_at for _, sent_at in sorted(
        (r.json["text"]["body"], r.at) for r in out.graph.sent_messages() if r.json["to"] == busy
    )]  # fmt: skip
    assert times[3] - times[0] >= 3.0 - 0.05  # the fourth waited for the window


def test_the_rate_per_number_never_exceeds_the_limit(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory(SNAKECAKES_SEND_RATE=20)
    for i in range(60):
        out.queue(f"4915200000{i % 6:03d}", f"m{i}")
    eventually(lambda: out.all_final(60), timeout=30)
    assert out.graph.peak_rate(PHONE_ID) <= 20
    sends = out.graph.sent_messages()
    span = sends[-1].at - sends[0].at
    assert 59 / span >= 20 * 0.2  # paced, not stalled (benchmarks/sender.py measures the rate)


def test_outside_the_window_uses_the_configured_template_else_fails(
    outbound_factory: Callable[..., Outbound],
) -> None:
    out = outbound_factory()
    out.graph.inject(MetaError(131047), times=2)
    failed = out.queue("4915100000040", "no template for me")
    eventually(lambda: out.all_final(1))
    with out.db.transaction() as s:
        s.execute(update(Bot).where(Bot.id == out.bot_a).values(settings={
            "window_templates": {"text": {"name": "follow_up", "language": "en"}}}))  # fmt: skip
    templated = out.queue("4915100000041", "come back for cake")
    rows = {r.id: r for r in eventually(lambda: out.all_final(2))}
    assert rows[failed].state == "failed" and "24-hour window" in (rows[failed].last_error or "")
    assert rows[templated].state == "sent" and rows[templated].used_template == "follow_up"
    tpl = out.graph.sent_messages()[-1].json
    assert tpl["type"] == "template"
    assert tpl["template"]["components"][0]["parameters"][0]["text"] == "come back for cake"
