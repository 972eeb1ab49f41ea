"""kill -9 of `snakecakes serve` with turns not yet answered: right after the webhooks were
committed, and in the middle of turns (messages in the engine). After a restart under the same
executor id every customer message is answered exactly once: one reply per turn, each message's
text in exactly one reply, in order, and no reply sent twice."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import select

from snakecakes.db.database import Database
from snakecakes.db.models import InboxMessage, OutboxMessage
from snakecakes.simulator import payloads as p
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.conftest import APP_SECRET, PHONE_ID
from tests.support.process import env_for, running
from tests.support.waiting import eventually

CUSTOMERS = [f"491510000{n:04d}" for n in range(1, 6)]
PER_CUSTOMER = 3
PREFIX = "You said: "


def _env(tmp_path: Path, graph_api: FakeGraphAPI, echo_delay: float) -> dict[str, str]:
    return env_for(
        tmp_path,
        WHATSAPP_API_BASE_URL=graph_api.url,
        SNAKECAKES_ENGINE="echo",
        SNAKECAKES_ECHO_DELAY_SECONDS=str(echo_delay),
        SNAKECAKES_BURST_DELAY_SECONDS="0",
        SNAKECAKES_EXECUTOR_ID="turns-crash-test",
        SNAKECAKES_QUEUE_POLL_SECONDS="0.02",
        SNAKECAKES_SWEEP_SECONDS="0.5",
        SNAKECAKES_SWEEP_GRACE_SECONDS="1",
        SNAKECAKES_SEND_RATE="500",
        SNAKECAKES_PAIR_BURST="50",
        SNAKECAKES_LOG_LEVEL="INFO",
    )


def post_messages(
    url: str, customers: list[str], per_customer: int
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """One signed webhook per message, every one answered 200 (stored): round m posts message m
    of every customer at once, so each customer's messages arrive in order. Returns the texts
    per customer in order, and the customer of each wamid."""
    texts: dict[str, list[str]] = {c: [] for c in customers}
    owner: dict[str, str] = {}
    base = int(time.time()) - 60
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(max_workers=8) as pool:

        def post(customer: str, m: int) -> None:
            text, wamid = f"{customer[-4:]} message {m}", p.new_wamid(customer)
            msg = p.text(wamid, customer, text, timestamp=base + m)
            raw, headers = p.signed(p.envelope(p.change(PHONE_ID, messages=[msg])), APP_SECRET)
            response = client.post(url + "/webhook", content=raw, headers=headers)
            assert response.status_code == 200, response.text
            texts[customer].append(text)
            owner[wamid] = customer

        for m in range(per_customer):
            list(pool.map(post, customers, [m] * len(customers)))
    return texts, owner


def replies_by_customer(graph_api: FakeGraphAPI) -> dict[str, list[str]]:
    """The text replies the fake Graph API accepted, per recipient, in arrival order."""
    out: dict[str, list[str]] = {}
    for r in graph_api.sent_messages():
        out.setdefault(r.json["to"], []).append(r.json["text"]["body"])
    return out


def _answered(reply: str) -> list[str]:
    return reply.removeprefix(PREFIX).split(" | ")


def all_answered(graph_api: FakeGraphAPI, texts: dict[str, list[str]]) -> bool:
    replies = replies_by_customer(graph_api)
    return all(
        sum(len(_answered(r)) for r in replies.get(c, [])) >= len(sent) for c, sent in texts.items()
    )


def assert_answered_once(graph_api: FakeGraphAPI, texts: dict[str, list[str]]) -> None:
    """Per customer: no reply twice, and the replies, read in order, name every message of the
    customer exactly once and in the customer's order (one reply per turn of the echo engine)."""
    replies = replies_by_customer(graph_api)
    assert set(replies) == set(texts), sorted(replies)  # nobody else was written to
    for c, sent in texts.items():
        assert len(replies[c]) == len(set(replies[c])), f"{c}: a reply sent twice: {replies[c]}"
        assert all(r.startswith(PREFIX) for r in replies[c]), replies[c]
        assert [t for r in replies[c] for t in _answered(r)] == sent, f"{c}: {replies[c]}"


def assert_database_settled(db: Database, graph_api: FakeGraphAPI, count: int) -> None:
    """Every inbox row done without a failed attempt; one outbox row per accepted send, each
    sent once and none suspected of being a duplicate."""
    with db.read() as s:
        inbox = list(s.scalars(select(InboxMessage)))
        outbox = list(s.scalars(select(OutboxMessage)))
    assert len(inbox) == count
    assert {r.state for r in inbox} == {"done"}
    assert all(r.attempts == 0 for r in inbox)  # no turn failed: a crash is not an error
    assert sorted(r.wamid or "" for r in outbox) == sorted(
        r.wamid or "" for r in graph_api.sent_messages()
    )
    assert {r.state for r in outbox} == {"sent"}
    assert not any(r.possible_duplicate for r in outbox)


def _workflows(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(name, status, executor) of DBOS's workflows, from its SQLite file beside ours."""
    conn = sqlite3.connect(tmp_path / "cli-dbos.db")
    try:
        return list(conn.execute("SELECT name, status, executor_id FROM workflow_status"))
    finally:
        conn.close()


def _settle_and_check(
    tmp_path: Path, graph_api: FakeGraphAPI, db: Database, texts: dict[str, list[str]]
) -> subprocess.Popen[bytes]:
    """Restart under the same executor id; wait for every answer, then for stray extras."""
    env = _env(tmp_path, graph_api, echo_delay=0.2)
    with running(["serve"], env, tmp_path, log_name="second.log") as (_, _, proc):
        eventually(lambda: all_answered(graph_api, texts), timeout=60, interval=0.1)
        time.sleep(1.5)  # beyond a sweep's grace: a duplicate turn or send would show by now
        assert_answered_once(graph_api, texts)
        assert_database_settled(db, graph_api, len(CUSTOMERS) * PER_CUSTOMER)
        turns = [w for w in _workflows(tmp_path) if w[0] == "snakecakes.process_chat"]
        assert {status for _, status, _ in turns} == {"SUCCESS"}, turns
    return proc


def test_kill_9_right_after_the_webhook_commit_answers_every_message_once(
    tmp_path: Path, graph_api: FakeGraphAPI
) -> None:
    env = _env(tmp_path, graph_api, echo_delay=3.0)  # no turn can finish before the kill
    db = Database(env["DATABASE_URL"])
    with running(["serve"], env, tmp_path, log_name="first.log") as (url, _, proc):
        texts, _ = post_messages(url, CUSTOMERS, PER_CUSTOMER)
        proc.kill()  # SIGKILL right after the last 200: jobs enqueued or not, none finished
        proc.wait()
    assert graph_api.sent_messages() == []  # the kill really came before any answer
    with db.read() as s:
        states = list(s.scalars(select(InboxMessage.state)))
    assert states == ["pending"] * (len(CUSTOMERS) * PER_CUSTOMER)  # all stored, none done
    _settle_and_check(tmp_path, graph_api, db, texts)
    db.dispose()


def _wait_until_every_chat_is_in_its_engine(graph_api: FakeGraphAPI, owner: dict[str, str]) -> None:
    def typing_for_everyone() -> bool:  # a turn shows typing just before its engine call
        typing = {
            owner.get(str(r.json.get("message_id")))
            for r in graph_api.requests
            if isinstance(r.json, dict) and r.json.get("status") == "read"
        }
        return typing >= set(CUSTOMERS)

    eventually(typing_for_everyone, timeout=20, interval=0.01)
    time.sleep(0.3)  # every chat's turn is inside its engine call now


def test_kill_9_mid_turn_answers_every_message_once(
    tmp_path: Path, graph_api: FakeGraphAPI
) -> None:
    env = _env(tmp_path, graph_api, echo_delay=1.5)
    db = Database(env["DATABASE_URL"])
    with running(["serve"], env, tmp_path, log_name="first.log") as (url, _, proc):
        texts, owner = post_messages(url, CUSTOMERS, PER_CUSTOMER)
        _wait_until_every_chat_is_in_its_engine(graph_api, owner)
        proc.kill()
        proc.wait()
    assert graph_api.sent_messages() == []  # killed mid-turn: no turn had committed its answer
    pending = [w for w in _workflows(tmp_path) if w[1] == "PENDING"]
    assert pending, "no DBOS workflow was running at the kill"
    assert {w[2] for w in pending} == {"turns-crash-test"}
    with db.read() as s:
        states = list(s.scalars(select(InboxMessage.state)))
    assert states == ["pending"] * (len(CUSTOMERS) * PER_CUSTOMER)
    _settle_and_check(tmp_path, graph_api, db, texts)
    db.dispose()


def _stopped_cleanly(proc: subprocess.Popen[bytes], log: Path) -> None:
    assert proc.returncode == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()


def test_sigterm_mid_turn_exits_cleanly_and_the_restart_answers_every_message_once(
    tmp_path: Path, graph_api: FakeGraphAPI
) -> None:
    """The graceful counterpart: an operator's SIGTERM while turns run exits with status 0 and
    no traceback (systemd or Kubernetes would otherwise report a failure), and nothing is lost
    or doubled across the restart."""
    env = _env(tmp_path, graph_api, echo_delay=1.0)
    db = Database(env["DATABASE_URL"])
    with running(["serve"], env, tmp_path, log_name="first.log") as (url, first_log, first):
        texts, owner = post_messages(url, CUSTOMERS, PER_CUSTOMER)
        _wait_until_every_chat_is_in_its_engine(graph_api, owner)
    # `running` has sent SIGTERM and waited
    second = _settle_and_check(tmp_path, graph_api, db, texts)
    db.dispose()
    _stopped_cleanly(first, first_log)
    _stopped_cleanly(second, tmp_path / "second.log")
