"""Scale-out on PostgreSQL: `snakecakes serve --web-only` takes the webhooks, two
`snakecakes worker` processes (distinct executor ids) answer them. Every message is answered
exactly once, a chat never runs on two workers at once, both workers share the work, and when
one worker is killed mid-turn the other takes its chats over (heartbeats and recovery)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOSClient, WorkflowStatus
from sqlalchemy import create_engine, select, text

from snakecakes.db.database import Database, normalise_url
from snakecakes.db.models import InboxMessage, WorkerHeartbeat
from snakecakes.simulator.fake_graph import FakeGraphAPI
from tests.bot.test_turns_crash import (
    all_answered,
    assert_answered_once,
    assert_database_settled,
    post_messages,
    replies_by_customer,
)
from tests.conftest import PG_ADMIN_URL
from tests.support.process import CLI, env_for, running, stop
from tests.support.waiting import eventually

WORKERS = ("worker-a", "worker-b")
TURNS = "snakecakes.process_chat"


@pytest.fixture
def pg_database() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own, dropped afterwards."""
    name = f"snakecakes_workers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _env(tmp_path: Path, url: str, graph_api: FakeGraphAPI, **extra: str) -> dict[str, str]:
    values = {
        "DATABASE_URL": url,
        "WHATSAPP_API_BASE_URL": graph_api.url,
        "SNAKECAKES_ENGINE": "echo",
        "SNAKECAKES_BURST_DELAY_SECONDS": "0",
        "SNAKECAKES_QUEUE_POLL_SECONDS": "0.05",
        "SNAKECAKES_SEND_RATE": "500",
        "SNAKECAKES_PAIR_BURST": "50",
        "SNAKECAKES_WORKER_THREADS": "16",
        "SNAKECAKES_DB_POOL_SIZE": "5",
        "SNAKECAKES_LOG_LEVEL": "INFO",
    }
    values.update(extra)
    return env_for(tmp_path, **values)


@contextmanager
def _worker(executor_id: str, env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`snakecakes worker` (no web server, so `running` does not fit); stopped with SIGTERM."""
    with (cwd / f"{executor_id}.log").open("wb") as log:
        proc = subprocess.Popen(
            [*CLI, "worker"],
            env={**env, "SNAKECAKES_EXECUTOR_ID": executor_id},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            stop(proc)


@contextmanager
def _deployment(
    tmp_path: Path, env: dict[str, str], db: Database
) -> Iterator[tuple[str, dict[str, subprocess.Popen[bytes]]]]:
    """Schema first (`db upgrade`), then both workers (alive once they beat), then the web."""
    upgrade = subprocess.run(
        [*CLI, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    with ExitStack() as stack:
        procs = {w: stack.enter_context(_worker(w, env, tmp_path)) for w in WORKERS}

        def beating() -> bool:
            for w, proc in procs.items():
                assert proc.poll() is None, (tmp_path / f"{w}.log").read_text()[-3000:]
            with db.read() as s:
                return set(s.scalars(select(WorkerHeartbeat.executor_id))) >= set(WORKERS)

        eventually(beating, timeout=60, interval=0.2)
        url, _, _ = stack.enter_context(
            running(["serve", "--web-only"], env, tmp_path, log_name="web.log")
        )
        try:
            yield url, procs
        finally:  # stop the workers together, each with one SIGTERM as an operator would
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                with suppress(subprocess.TimeoutExpired):  # `stop` then kills it: status -9
                    proc.wait(timeout=20)


@contextmanager
def _dbos(url: str) -> Iterator[DBOSClient]:
    """DBOS's public client on the workers' system database (schema dbos of ours)."""
    client = DBOSClient(system_database_url=url)
    try:
        yield client
    finally:
        client.destroy()


def _warnings(log: str) -> list[str]:
    """A worker log's distinct warnings and errors, with the last line of their exception
    (e.g. PostgreSQL refusing connections when other work on the machine holds them all)."""
    found: dict[str, None] = {}
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("WARNING", "ERROR"):
            cause = [x for x in str(entry.get("exc", "")).splitlines() if "Error" in x][-1:]
            found[" / ".join([str(entry.get("msg"))[:120], *cause])] = None
    return list(found)


def _turn_jobs(client: DBOSClient, **filters: Any) -> list[WorkflowStatus]:
    return list(client.list_workflows(name=TURNS, load_input=False, **filters))


def _drained(client: DBOSClient) -> list[WorkflowStatus]:
    """Every turn job, once none is waiting or running any more (else nothing)."""
    jobs = _turn_jobs(client)
    return jobs if jobs and all(j.status == "SUCCESS" for j in jobs) else []


def _assert_one_turn_at_a_time(
    graph_api: FakeGraphAPI, owner: dict[str, str], db: Database, texts: dict[str, list[str]]
) -> None:
    """Per chat, turns strictly alternate: turn k shows typing (just before its engine call),
    then commits (its inbox rows' processed_at), and only then does turn k+1 show typing.
    Two workers on one chat at once would show two typings for one commit (the loser finds
    its rows done and drops its draft) or a typing between another turn's typing and commit."""
    to_wall = time.time() - time.monotonic()  # the fake Graph API stamps requests monotonic
    typing: dict[str, list[float]] = defaultdict(list)
    for r in graph_api.requests:
        if isinstance(r.json, dict) and r.json.get("status") == "read":
            typing[owner[r.json["message_id"]]].append(r.at + to_wall)
    with db.read() as s:
        done = s.execute(select(InboxMessage.customer_key, InboxMessage.processed_at)).all()
    commits: dict[str, set[float]] = defaultdict(set)
    for chat, processed_at in done:
        commits[chat].add(processed_at.timestamp())
    replies = replies_by_customer(graph_api)
    for chat in texts:
        starts, ends = sorted(typing[chat]), sorted(commits[chat])
        assert len(starts) == len(ends) == len(replies[chat]), (chat, starts, ends)
        events = [t for pair in zip(starts, ends, strict=True) for t in pair]
        assert events == sorted(events), f"chat {chat}: turns overlap: {starts} {ends}"


def test_two_workers_answer_30_chats_exactly_once_one_turn_per_chat_at_a_time(
    tmp_path: Path, graph_api: FakeGraphAPI, pg_database: str
) -> None:
    env = _env(
        tmp_path,
        pg_database,
        graph_api,
        SNAKECAKES_ECHO_DELAY_SECONDS="0.4",
        SNAKECAKES_SWEEP_SECONDS="1",
        SNAKECAKES_SWEEP_GRACE_SECONDS="5",
    )
    db = Database(pg_database)
    customers = [f"4917{n:08d}" for n in range(30)]
    with _deployment(tmp_path, env, db) as (url, procs), _dbos(pg_database) as client:
        texts, owner = post_messages(url, customers, 3)
        eventually(lambda: all_answered(graph_api, texts), timeout=90, interval=0.2)
        time.sleep(1.5)  # a stray second answer would arrive by now
        for w in WORKERS:  # neither worker was taken for dead, nothing was sent twice
            log = (tmp_path / f"{w}.log").read_text()
            assert "silent: recovered" not in log, _warnings(log)
            assert "possible duplicate" not in log, _warnings(log)
        assert_answered_once(graph_api, texts)
        assert_database_settled(db, graph_api, len(customers) * 3)
        _assert_one_turn_at_a_time(graph_api, owner, db, texts)
        jobs = eventually(lambda: _drained(client), timeout=30, interval=0.2)
    for w, proc in procs.items():  # SIGTERM: a worker stops cleanly
        assert proc.returncode == 0, (tmp_path / f"{w}.log").read_text()[-3000:]
        assert "processed elsewhere" not in (tmp_path / f"{w}.log").read_text()
    # both workers answered turns (a job returns how many turns it answered)
    answered: dict[str, int] = defaultdict(int)
    for job in jobs:
        answered[str(job.executor_id)] += int(job.output or 0)
    assert set(answered) == set(WORKERS), dict(answered)
    assert all(answered[w] > 0 for w in WORKERS), dict(answered)
    assert sum(answered.values()) == sum(len(r) for r in replies_by_customer(graph_api).values())
    assert {j.queue_partition_key for j in jobs} == {f"1:{c}" for c in customers}
    db.dispose()


def test_a_killed_worker_s_chats_are_finished_by_the_other_one(
    tmp_path: Path, graph_api: FakeGraphAPI, pg_database: str
) -> None:
    env = _env(
        tmp_path,
        pg_database,
        graph_api,
        SNAKECAKES_ECHO_DELAY_SECONDS="3",  # long turns: the kill lands inside them
        SNAKECAKES_SWEEP_SECONDS="0.5",
        SNAKECAKES_SWEEP_GRACE_SECONDS="1",  # a silent worker is dead after 2 s
    )
    db = Database(pg_database)
    customers = [f"4916{n:08d}" for n in range(12)]
    with _deployment(tmp_path, env, db) as (url, procs), _dbos(pg_database) as client:
        texts, _ = post_messages(url, customers, 2)

        def running_on_a() -> list[str]:
            return [
                j.workflow_id for j in _turn_jobs(client, status="PENDING", executor_id="worker-a")
            ]

        victims = eventually(running_on_a, timeout=30, interval=0.05)
        procs["worker-a"].kill()  # SIGKILL: its turns stay PENDING under its executor id
        procs["worker-a"].wait()
        assert replies_by_customer(graph_api) == {}  # it died mid-turn, before any answer
        eventually(lambda: all_answered(graph_api, texts), timeout=90, interval=0.2)
        time.sleep(1.5)
        assert_answered_once(graph_api, texts)
        assert_database_settled(db, graph_api, len(customers) * 2)
        eventually(lambda: _drained(client), timeout=30, interval=0.2)  # none left behind
        taken_over = _turn_jobs(client, workflow_ids=victims)
        with db.read() as s:
            beat = s.get(WorkerHeartbeat, "worker-a")
            assert beat is not None
            assert beat.recovered_at is not None  # worker-b claimed the silent executor
    assert procs["worker-b"].returncode == 0
    assert "worker-a silent: recovered" in (tmp_path / "worker-b.log").read_text()
    # the jobs worker-a was running when it died were finished by worker-b
    assert len(taken_over) == len(victims)
    assert {(j.status, j.executor_id) for j in taken_over} == {("SUCCESS", "worker-b")}
    db.dispose()
