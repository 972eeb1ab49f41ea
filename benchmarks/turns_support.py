"""Processes for benchmarks/turns.py: a fake Graph API that streams what it receives, the bot's
processes (embedded `serve`, or `serve --web-only` plus `worker`s), and py-spy summaries.

Run as a script, this module *is* that fake Graph API process: the same `FakeGraphAPI` that
`python -m snakecakes.simulator.fake_graph` serves, which writes one JSON line per send request
(``[monotonic arrival time, HTTP status, to, text]``; mark-as-read/typing requests are left out)
to stdout as it arrives, so the benchmark sees each reply while the load is still running (the
closed loop of ``--max`` needs that; sender_support's ``dump`` only hands records back at the
end). End of input on stdin stops it, so it also stops if the benchmark dies.

Reused from the other benchmarks: scratch databases, clean environments, stopping by PID and CPU
readings (sender_support, probes), py-spy start/stop (sender_support).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpx
import sender_support as sup

from snakecakes.simulator.fake_graph import FakeGraphAPI, RecordedRequest
from snakecakes.simulator.openapi_validation import is_mark_read

PHONE_ID = "106540352242922"  # payloads.PHONE_NUMBER_ID: the number the webhooks are addressed to


# -- the fake Graph API ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    """A send request as the fake saw it: ``at`` is time.monotonic() in the fake's process
    (CLOCK_MONOTONIC is system-wide on Linux, so it compares with ours)."""

    at: float
    status: int
    to: str | None
    text: str | None


class _StreamingFake(FakeGraphAPI):
    """Records as usual, and hands every send request to ``out`` as it is recorded."""

    def __init__(self, out: queue.SimpleQueue[list[Any] | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.out = out

    def record(self, entry: RecordedRequest) -> None:
        super().record(entry)
        body = entry.json
        if not entry.path.endswith("/messages") or not isinstance(body, dict):
            return
        if is_mark_read(body):
            return
        text = (body.get("text") or {}).get("body") if isinstance(body.get("text"), dict) else None
        self.out.put([entry.at, entry.status, body.get("to"), text])


def fake_main(argv: list[str]) -> None:
    """The fake Graph API process (see the module docstring)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", action="append", default=[], metavar="PHONE_NUMBER_ID=TOKEN")
    parser.add_argument("--validate", action="store_true", help="check bodies against the schema")
    args = parser.parse_args(argv)
    tokens = dict(item.split("=", 1) for item in args.token) or None
    out: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
    graph = _StreamingFake(
        out, host="127.0.0.1", port=args.port, validate=args.validate, tokens=tokens
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def write() -> None:  # batches what piled up since the last write: one flush per batch
        while (item := out.get()) is not None:
            lines = [json.dumps(item)]
            with contextlib.suppress(queue.Empty):
                while len(lines) < 500:
                    nxt = out.get_nowait()
                    if nxt is None:
                        out.put(None)
                        break
                    lines.append(json.dumps(nxt))
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()

    writer = threading.Thread(target=write, name="stream", daemon=True)
    with graph.start():
        print(graph.url, flush=True)
        writer.start()
        for _ in sys.stdin:  # nothing to do but wait for the end of input
            pass
    out.put(None)
    writer.join(timeout=5)


class StreamingFakeGraph:
    """The fake Graph API running this file as a subprocess; see the module docstring.

    ``on_arrival`` is called (on the reader thread) for every send request as it arrives.
    """

    def __init__(
        self,
        tmp: Path,
        *,
        tokens: dict[str, str],
        validate: bool,
        on_arrival: Callable[[Arrival], None],
    ) -> None:
        self.tmp, self.tokens, self.validate = tmp, tokens, validate
        self.on_arrival = on_arrival
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> StreamingFakeGraph:
        cmd = [sys.executable, __file__, "--port", str(sup.free_port())]
        cmd += [f"--token={number}={token}" for number, token in self.tokens.items()]
        cmd += ["--validate"] if self.validate else []
        with (self.tmp / "fake_graph.log").open("w") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                start_new_session=True,
            )  # fmt: skip
        try:
            self.url = _read_line(self.proc, 60)
        except BaseException:
            sup.stop_process(self.proc)
            raise
        self._reader = threading.Thread(target=self._read, name="fake-reader", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            at, status, to, text = json.loads(line)
            arrival = Arrival(float(at), int(status), to, text)
            with self._lock:
                self.arrivals.append(arrival)
            self.on_arrival(arrival)

    def snapshot(self) -> list[Arrival]:
        with self._lock:
            return list(self.arrivals)

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.stdin:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end of input: the fake stops by itself
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        sup.stop_process(proc)
        if self._reader is not None:
            self._reader.join(timeout=5)


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    out: IO[str] | None = proc.stdout
    assert out is not None
    ready, _, _ = select.select([out], [], [], timeout)
    if not ready:
        raise RuntimeError(f"no answer from the fake Graph API (pid {proc.pid}) in {timeout}s")
    line = out.readline().strip()
    if not line:
        raise RuntimeError(f"the fake Graph API (pid {proc.pid}) ended: see fake_graph.log")
    return line


# -- the bot's processes --------------------------------------------------------------------------


@dataclass
class BotProcesses:
    url: str
    database_url: str
    app_secret: str
    web: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pids(self) -> dict[str, int]:
        """Role name -> PID, the web (or embedded) process first."""
        role = "web" if self.workers else "serve"
        return {role: self.web.pid} | {f"worker-{i}": w.pid for i, w in enumerate(self.workers)}


@contextlib.contextmanager
def bot_processes(
    database_url: str | None,
    workers: int,
    *,
    graph_url: str,
    token: str,
    app_secret: str,
    tmp: Path,
    env: dict[str, str],
) -> Iterator[BotProcesses]:
    """`snakecakes serve` (workers == 0), or `worker` x N then `serve --web-only`, on a scratch
    database after `snakecakes db upgrade`. Every process is stopped by its PID on the way out."""
    with sup.scratch_database(database_url, tmp) as db_url, contextlib.ExitStack() as stack:
        full_env = sup.clean_env(
            DATABASE_URL=db_url,
            SNAKECAKES_SECRET_KEY="bench-secret-key-" + app_secret,
            WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
            WHATSAPP_ACCESS_TOKEN=token,
            WHATSAPP_APP_SECRET=app_secret,
            WHATSAPP_VERIFY_TOKEN="bench-verify-token",
            WHATSAPP_API_BASE_URL=graph_url,
        )
        full_env |= env
        with (tmp / "upgrade.log").open("wb") as log:
            subprocess.run(
                [*sup.CLI, "db", "upgrade"], env=full_env, cwd=tmp, stdout=log,
                stderr=subprocess.STDOUT, check=True, timeout=120,
            )  # fmt: skip
        started: list[subprocess.Popen[bytes]] = []
        # workers first, one at a time: DBOS creates its tables at the first launch, and the
        # web-only process enqueues into them
        for i in range(workers):
            log_path = tmp / f"worker-{i}.log"
            proc = _start(
                [*sup.CLI, "worker"],
                full_env | {"SNAKECAKES_EXECUTOR_ID": f"bench-worker-{i}"},
                tmp,
                log_path,
            )
            stack.callback(sup.stop_process, proc)
            _wait_for_log(proc, log_path, "running", 90)
            started.append(proc)
        port = sup.free_port()
        cmd = [*sup.CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
        role_env = {"SNAKECAKES_EXECUTOR_ID": "bench-web" if workers else "bench-serve"}
        log_path = tmp / "serve.log"
        web = _start(cmd + (["--web-only"] if workers else []), full_env | role_env, tmp, log_path)
        stack.callback(sup.stop_process, web)  # LIFO: the web process stops before the workers
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, web, log_path)
        yield BotProcesses(url, db_url, app_secret, web, started)


def _start(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"serve did not answer /healthz within {timeout:.0f} s")


def _wait_for_log(proc: subprocess.Popen[bytes], log: Path, marker: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if re.search(rf"worker \S+ {marker}", text):
            return
        if proc.poll() is not None:
            raise SystemExit(f"worker exited with {proc.returncode}:\n{text[-3000:]}")
        time.sleep(0.1)
    raise SystemExit(f"worker (pid {proc.pid}) not ready within {timeout:.0f} s; see {log}")


# -- after the run: what the database and the logs say ------------------------------------------


def database_checks(db_url: str, settle: float = 10.0) -> dict[str, Any]:
    """Outbox and inbox rows by state, and sends flagged as possible duplicates (a send retried
    after an interruption), by direct SQL; waits up to ``settle`` s for sends in flight (a reply
    can reach the fake before its row is marked sent)."""
    from sqlalchemy import create_engine, text

    from snakecakes.db.database import normalise_url

    by_state = "SELECT state, count(*) FROM {} GROUP BY state"
    engine = create_engine(normalise_url(db_url))
    deadline = time.monotonic() + settle
    try:
        with engine.connect() as conn:
            while True:
                outbox = {str(k): int(v) for k, v in conn.execute(text(by_state.format("outbox")))}
                conn.rollback()  # a fresh snapshot for the next look
                if not (outbox.keys() & {"queued", "sending"}) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            inbox = {str(k): int(v) for k, v in conn.execute(text(by_state.format("inbox")))}
            flagged = conn.execute(
                text("SELECT count(*) FROM outbox WHERE possible_duplicate")
            ).scalar_one()
            retried = conn.execute(
                text("SELECT count(*) FROM inbox WHERE attempts > 0")
            ).scalar_one()
    finally:
        engine.dispose()
    return {
        "outbox_states": outbox,
        "inbox_states": inbox,
        "outbox_possible_duplicates": int(flagged),
        "inbox_failed_attempts": int(retried),
    }


STAGES = (
    "webhook POST -> inbox row stored",
    "stored -> turn committed (enqueue, queue pick-up, turn)",
    "turn committed -> send claimed (step record, enqueue, pick-up)",
    "send claimed -> request at the fake (pacing, HTTP)",
)


def stage_times(db_url: str, turns: dict[str, tuple[float, float]]) -> dict[str, list[float]]:
    """Per-stage milliseconds of one-message chats, from our own tables' timestamps.

    ``turns`` maps a chat (wa_id) to (webhook POST sent, reply at the fake), both as Unix time.
    """
    from sqlalchemy import bindparam, create_engine, text

    from snakecakes.db.database import normalise_url
    from snakecakes.db.types import UTCDateTime

    engine = create_engine(normalise_url(db_url))
    stamp = UTCDateTime()
    rows: list[Any] = []
    query = text(
        "SELECT i.customer_key, i.received_at, i.processed_at, o.attempt_started_at "
        "FROM inbox i JOIN outbox o ON o.bot_id = i.bot_id AND o.chat_key = i.customer_key "
        "WHERE i.customer_key IN :chats"
    ).bindparams(bindparam("chats", expanding=True))
    chats = list(turns)
    try:
        with engine.connect() as conn:
            for n in range(0, len(chats), 500):
                rows += conn.execute(query, {"chats": chats[n : n + 500]}).all()
    finally:
        engine.dispose()
    out: dict[str, list[float]] = {name: [] for name in STAGES}
    for chat, *raw in rows:
        values = [stamp.process_result_value(_as_datetime(v), engine.dialect) for v in raw]
        if any(v is None for v in values):
            continue
        received, processed, claimed = (v.timestamp() for v in values if v is not None)
        sent, arrived = turns[chat]
        points = (sent, received, processed, claimed, arrived)
        for name, (a, b) in zip(STAGES, itertools.pairwise(points), strict=True):
            out[name].append((b - a) * 1000)
    return out


def _as_datetime(value: Any) -> Any:
    """SQLite hands timestamps back as text through a plain text() query."""
    if isinstance(value, str):
        from datetime import datetime

        return datetime.fromisoformat(value)
    return value


_LOG_LEVEL = re.compile(r" (WARNING|ERROR|CRITICAL) (\S+) (?:\[[^]]*\] )?(.*)$")


def log_problems(tmp: Path, limit: int = 5) -> dict[str, Any]:
    """WARNING and ERROR lines of the bot's logs: counts per file, and the commonest messages
    (digits blanked so that one kind of message counts once)."""
    counts: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    for log in sorted(tmp.glob("*.log")):
        n = 0
        for line in log.read_text(errors="replace").splitlines():
            m = _LOG_LEVEL.search(line)
            if m:
                n += 1
                kinds[f"{m.group(1)} {m.group(2)}: " + re.sub(r"\d+", "N", m.group(3))[:160]] += 1
        if n:
            counts[log.name] = n
    return {"log_problems": counts, "log_problem_kinds": kinds.most_common(limit)}


# -- fsync counts ---------------------------------------------------------------------------------

_FSYNC_EVENTS = "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync"


@contextlib.contextmanager
def counting_fsyncs(
    groups: Callable[[], dict[str, set[int]]], tmp: Path
) -> Iterator[dict[str, int]]:
    """fsync + fdatasync calls during the block, machine-wide per thread (`perf stat -a
    --per-thread` on the syscall tracepoints), summed into the groups of thread ids that
    ``groups()`` names when the block ends (threads in no group: "rest of the machine"). The
    dict is filled in on the way out; it stays empty when perf cannot run. A durable commit
    waits for one: on SQLite in WAL mode with synchronous=FULL, and on PostgreSQL (the backend
    flushes the WAL at commit)."""
    counts: dict[str, int] = {}
    out = tmp / "perf-fsyncs.csv"
    cmd = ["perf", "stat", "-a", "--per-thread", "-x,", "-e", _FSYNC_EVENTS, "-o", str(out)]
    try:
        perf = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        yield counts
        return
    try:
        yield counts
    finally:
        members = groups()  # while the threads still exist
        if perf.poll() is None:
            perf.send_signal(signal.SIGINT)  # perf writes its counts on SIGINT
        try:
            perf.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sup.stop_process(perf)
        by_tid: Counter[int] = Counter()
        with contextlib.suppress(OSError):
            for row in out.read_text().splitlines():
                fields = row.split(",")
                if len(fields) > 3 and "syscalls:" in fields[3] and fields[1].isdigit():
                    by_tid[int(fields[0].rsplit("-", 1)[1])] += int(fields[1])
        owner = {tid: name for name, tids in members.items() for tid in tids}
        for tid, n in by_tid.items():
            name = owner.get(tid, "rest of the machine")
            counts[name] = counts.get(name, 0) + n


def threads_of(pid: int) -> set[int]:
    """The thread ids of a process (itself if it is gone or single-threaded)."""
    try:
        return {int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()}
    except OSError:
        return {pid}


# -- py-spy summaries -----------------------------------------------------------------------------

# (name, test on one frame "function (path:line)"); the first that matches, leaf upwards, decides
_DB_DRIVER = re.compile(r"\((?:\S*/)?(?:sqlalchemy|psycopg|psycopg_pool|sqlite3)/")
_HTTP = re.compile(r"\((?:\S*/)?(?:httpx|httpcore|h11|anyio|ssl\.py|socket\.py|http/client)")
_WEB = re.compile(r"\((?:\S*/)?(?:waitress|flask|werkzeug)/")
_OURS = re.compile(r"\((?:\S*/)?snakecakes/")
_DBOS = re.compile(r"\((?:\S*/)?dbos/")
_ENGINE = re.compile(r"\((?:\S*/)?snakecakes/bot/llms/")
_WAIT = re.compile(r"^(Condition\.wait|Event\.wait|sleep|_wait_for_tstate_lock|select|_worker) ")
_STACK_LINE = re.compile(r"^(.*) (\d+)$")

# activity: what the thread is doing, from the frames of its stack
_INTAKE = re.compile(r"snakecakes/(web|app\.py|bot/intake)")
_TURN_CODE = re.compile(r"snakecakes/bot/(turn|chat|routing|llms)")
_SEND_CODE = re.compile(r"^(_decide|_attempt) \(\S*snakecakes/bot/whatsapp/sender")
_DISPATCHER = re.compile(r"^TurnDispatcher\._run ")
_BACKGROUND = re.compile(r"snakecakes/bot/background")


def _frames(stack: str) -> list[str]:
    """Frames root first; py-spy's raw format is `thread;frame;frame count`."""
    return [f for f in stack.split(";") if f]


def layer_of(frames: list[str]) -> str:
    """Who the time is spent for: DBOS, our database work, HTTP, the engine, the web server."""
    if frames and _WAIT.match(frames[-1]):
        return "waiting (Condition/Event/sleep, counted as active by py-spy)"
    owner = None
    below: list[str] = []
    for frame in reversed(frames):  # leaf first
        if _DBOS.search(frame) or _OURS.search(frame):
            owner = frame
            break
        below.append(frame)
    if owner is None:
        if any(_WEB.search(f) for f in frames):
            return "web server I/O (waitress, no app code)"
        if any(_HTTP.search(f) for f in frames):
            return "HTTP client, no app code"
        return "unattributed (stacks cut short by non-blocking sampling)"
    if _DBOS.search(owner):
        if any(_DB_DRIVER.search(f) for f in below):
            return "DBOS bookkeeping: its SQL (SQLAlchemy + driver)"
        return "DBOS bookkeeping: its Python"
    if _ENGINE.search(owner):
        return "engine (echo)"
    if any(_DB_DRIVER.search(f) for f in below):
        return "our DB work (SQLAlchemy + driver)"
    if any(_HTTP.search(f) for f in below):
        return "HTTP client (Graph API calls)"
    if any(_WEB.search(f) for f in below):
        return "Flask/werkzeug (in our views)"
    return "our Python (routing, parsing, JSON, logging)"


def activity_of(frames: list[str]) -> str:
    def has(test: re.Pattern[str] | str) -> bool:
        if isinstance(test, str):
            return any(f.startswith(test) for f in frames)
        return any(test.search(f) for f in frames)

    if has(_INTAKE):
        return "webhook intake (Flask view, parse, store, commit)"
    if has("process_chat ("):
        if has(_TURN_CODE):
            return "turn workflow: our turn code (run_turn)"
        return "turn workflow: DBOS around it (step record, enqueueing the send)"
    if has("deliver_chat ("):
        if has(_SEND_CODE):
            return "send workflow: our send code (decide, claim, POST, record)"
        return "send workflow: DBOS around it (step records)"
    if has("_execute_workflow_wthread"):
        return "workflow start/finish records (DBOS)"
    if has(_DISPATCHER):
        return "enqueueing turn workflows (dispatcher thread, DBOS)"
    if has("queue_worker_thread"):
        return "queue polling and dequeueing (DBOS)"
    if has(_BACKGROUND):
        return "background loops (sweeps, heartbeat, statuses)"
    if has(_DBOS):
        return "other DBOS threads (notification listener, background jobs)"
    if has(_WEB):
        return "waitress I/O"
    return "unattributed (stacks cut short by non-blocking sampling)"


def summarise_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Shares of samples by layer, by activity, and the hottest leaf functions."""
    layers: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    cells: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        m = _STACK_LINE.match(line.strip())
        if not m:
            continue
        frames, count = _frames(m.group(1)), int(m.group(2))
        total += count
        layer, activity = layer_of(frames), activity_of(frames)
        layers[layer] += count
        activities[activity] += count
        cells[f"{activity.split(' (')[0]} / {layer.split(' (')[0]}"] += count
        leaves[_short(frames[-1]) if frames else "?"] += count

    def pct(counter: Counter[str], n: int | None = None) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common(n)] if total else []

    return {
        "samples": total,
        "layers": pct(layers),
        "activities": pct(activities),
        "activity x layer": pct(cells, top),
        "leaves": pct(leaves, top),
    }


def _short(frame: str) -> str:
    """`func (/long/path/site-packages/pkg/mod.py:12)` -> `func (pkg/mod.py)`."""
    m = re.match(r"^(.*) \((.*?):\d+\)$", frame)
    if not m:
        return frame
    path = m.group(2)
    for marker in ("site-packages/", "/work/main/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group(1)} ({path})"


if __name__ == "__main__":
    fake_main(sys.argv[1:])
