"""kill -9 of `snakecakes serve` while sends are in flight: after a restart nothing is lost, and
a message is sent twice only where the first attempt's outcome was unknown, flagged and logged."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from snakecakes.bot.whatsapp import messages, outbox
from snakecakes.db.database import Database
from snakecakes.db.models import Bot, OutboxMessage
from snakecakes.simulator.fake_graph import Delay, FakeGraphAPI
from tests.support.process import env_for, running
from tests.support.waiting import eventually


def test_kill_9_mid_send_loses_nothing_and_flags_possible_duplicates(
    tmp_path: Path, graph_api: FakeGraphAPI
) -> None:
    env = env_for(
        tmp_path,
        WHATSAPP_API_BASE_URL=graph_api.url,
        SNAKECAKES_EXECUTOR_ID="crash-test",
        SNAKECAKES_QUEUE_POLL_SECONDS="0.02",
        SNAKECAKES_SWEEP_SECONDS="0.3",
        SNAKECAKES_SWEEP_GRACE_SECONDS="0.2",
        SNAKECAKES_LOG_LEVEL="INFO",
        # an interrupted send is retried once its lease (this + 5 s) has run out
        SNAKECAKES_GRAPH_TIMEOUT_SECONDS="5",
    )
    graph_api.inject(Delay(0.5), times=10_000)  # Meta is slow: sends are in flight at the kill
    db = Database(env["DATABASE_URL"])
    texts = [f"chat {c} message {m}" for c in range(8) for m in range(5)]
    with running(["serve"], env, tmp_path, log_name="first.log") as (_, _, proc):
        with db.read() as s:
            bot_id = s.scalars(select(Bot.id)).one()
        with db.transaction() as s:
            for text in texts:
                to = f"49151000007{text.split()[1]}"
                outbox.queue_message(
                    s, bot_id=bot_id, chat_key=to, recipient=to, body=messages.text(to, text)
                )
        eventually(lambda: len(graph_api.requests) >= 10)
        proc.kill()  # SIGKILL: no cleanup, DBOS workflows left PENDING
        proc.wait()
    sent_before = len(graph_api.sent_messages())
    assert sent_before < len(texts)  # the kill really was mid-way
    with running(["serve"], env, tmp_path, log_name="second.log") as _:

        def all_sent() -> list[OutboxMessage] | None:
            with db.read() as s:
                rows = list(s.scalars(select(OutboxMessage)))
            return rows if rows and all(r.state == "sent" for r in rows) else None

        rows = eventually(all_sent, timeout=60)
    accepted = Counter(r.json["text"]["body"] for r in graph_api.sent_messages())
    assert set(accepted) == set(texts)  # nothing lost
    by_text = {r.body["text"]["body"]: r for r in rows}
    doubled = [t for t, n in accepted.items() if n > 1]
    for text in doubled:  # sent twice only where flagged as a possible duplicate
        assert by_text[text].possible_duplicate, text
    assert all(n <= 2 for n in accepted.values())
    assert doubled  # sends were in flight at the kill: their retries are the flagged duplicates
    assert "possible duplicate" in (tmp_path / "second.log").read_text()
    # per chat, the first copies arrived in order
    for c in range(8):
        firsts = list(dict.fromkeys(
            r.json["text"]["body"] for r in graph_api.sent_messages()
            if r.json["text"]["body"].startswith(f"chat {c} ")
        ))  # fmt: skip
        assert firsts == [f"chat {c} message {m}" for m in range(5)]
    db.dispose()
