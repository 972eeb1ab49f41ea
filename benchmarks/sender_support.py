"""Processes and probes for benchmarks/sender.py: the fake Graph API in a process of its own, a
throw-away database, `snakecakes serve`, CPU seconds from /proc.

Run as a script, this module *is* that fake Graph API process: the same `FakeGraphAPI` that
`python -m snakecakes.simulator.fake_graph` serves, plus one thing that CLI lacks, a way to hand
its records back. It reads commands on stdin: ``dump PATH`` writes every message request it saw
(monotonic arrival time, HTTP status, wamid, recipient, text) as JSON to PATH and answers
``done``; end of input stops it (so it also stops if the benchmark dies).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx
from sqlalchemy import create_engine, make_url, text

from snakecakes.db.database import normalise_url
from snakecakes.simulator.fake_graph_faults import peak_count

if TYPE_CHECKING:
    from snakecakes.simulator.fake_graph_routes import RecordedRequest

TICK = os.sysconf("SC_CLK_TCK")
CLI = [sys.executable, "-m", "snakecakes.cli"]
PROFILE_MODES = {"gil": ["--gil"], "active": [], "idle": ["--idle"]}
ENV_PREFIXES = ("WHATSAPP_", "OPENAI_", "SNAKECAKES_", "DATABASE_URL", "ADMIN_API", "DBOS_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine, summed over its cores (steal excluded)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = values[:7]
    return (user + nice + system + irq + softirq) / TICK


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any of our settings (so a developer's shell cannot leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    return env | extra


def stop_process(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM by PID, SIGKILL if it will not go; nothing if it has already ended."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextlib.contextmanager
def scratch_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A fresh SQLite file, or a `snakecakes_bench_*` database created (and dropped) through the
    PostgreSQL database ``url`` names (e.g. `test`)."""
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{tmp / 'bench.db'}"
        return
    admin_url = make_url(normalise_url(url))
    name = f"snakecakes_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class FakeGraphProcess:
    """The fake Graph API running this file as a subprocess; see the module docstring."""

    def __init__(self, proc: subprocess.Popen[str], url: str, tmp: Path) -> None:
        self.proc, self.url, self.tmp = proc, url, tmp

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, tmp: Path, *, tokens: dict[str, str], validate: bool
    ) -> Iterator[FakeGraphProcess]:
        cmd = [sys.executable, __file__, "--port", str(free_port())]
        cmd += [f"--token={number}={token}" for number, token in tokens.items()]
        cmd += [] if validate else ["--no-validate"]
        with (tmp / "fake_graph.log").open("w") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                start_new_session=True,
            )  # fmt: skip
            try:
                yield cls(proc, _read_line(proc, 60), tmp)
            finally:
                if proc.stdin:
                    with contextlib.suppress(OSError):
                        proc.stdin.close()  # end of input: the fake stops by itself
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                stop_process(proc)

    def requests(self) -> list[dict[str, Any]]:
        """Every message request the fake has seen so far, in arrival order."""
        path = self.tmp / f"fake_dump_{uuid.uuid4().hex[:6]}.json"
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"dump {path}\n")
        self.proc.stdin.flush()
        if _read_line(self.proc, 60) != "done":
            raise RuntimeError("the fake Graph API did not answer `dump`")
        records: list[dict[str, Any]] = json.loads(path.read_text())
        path.unlink()
        return records


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


@contextlib.contextmanager
def bot_server(env: dict[str, str], tmp: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`snakecakes serve` on 127.0.0.1, after `snakecakes db upgrade` (serve only upgrades
    SQLite by itself); stopped by PID on the way out."""
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        subprocess.run(
            [*CLI, "db", "upgrade"], env=env, cwd=tmp, stdout=log, stderr=log, check=True,
            timeout=120,
        )  # fmt: skip
        port = free_port()
        proc = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", proc, log_path)
            yield proc
        finally:
            stop_process(proc)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit("serve did not answer /healthz within 60 s")


def start_profiler(pid: int, path: str, mode: str) -> subprocess.Popen[bytes]:
    """py-spy record without pausing the bot (--nonblocking); collapsed stacks to ``path``."""
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [str(spy), "record", "-p", str(pid), "-o", path, "-f", "raw", "-r", "100"]
    cmd += ["--nonblocking", *PROFILE_MODES[mode]]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_process(proc)


def analyse(records: list[dict[str, Any]], messages: int, limit: float) -> dict[str, Any]:
    """Figures from the fake's records of message requests."""
    accepted = [r for r in records if r["wamid"]]
    times = sorted(r["at"] for r in accepted)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    lo, hi = len(times) // 10, len(times) * 9 // 10  # the middle 80%: no ramp-up, no tail
    mid = (hi - lo) / (times[hi] - times[lo]) if hi > lo and times[hi] > times[lo] else 0.0
    texts = Counter(r["text"] for r in accepted)
    gaps = sorted(b - a for a, b in pairwise(times)) or [0.0]
    gap_ms = {f"gap_p{q}_ms": round(1000 * gaps[min(len(gaps) - 1, len(gaps) * q // 100)], 1)
              for q in (1, 50, 90, 99)}  # fmt: skip
    queued = {f"bench message {i}" for i in range(messages)}
    return {
        "accepted": len(accepted),
        "rejected": len(records) - len(accepted),
        "duplicates": sum(n - 1 for n in texts.values() if n > 1),
        "missing": len(queued - set(texts)),
        "send_span_s": round(span, 3),
        "rate": round(rate, 2),
        "pct_of_limit": round(100 * rate / limit, 1),
        "rate_mid80": round(mid, 2),
        "peak_1s": peak_count(times, 1.0),
        **gap_ms,
        "first_send_at": times[0] if times else None,
        "wamids": {r["wamid"] for r in accepted},
    }


def _record(r: RecordedRequest) -> dict[str, Any]:
    body = r.json if isinstance(r.json, dict) else {}
    text_body = (body.get("text") or {}).get("body")
    return {"at": r.at, "status": r.status, "wamid": r.wamid, "to": body.get("to"),
            "text": text_body}  # fmt: skip


def fake_main(argv: list[str]) -> None:
    """The fake Graph API process (see the module docstring)."""
    from snakecakes.simulator.fake_graph import FakeGraphAPI

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", action="append", default=[], metavar="PHONE_NUMBER_ID=TOKEN")
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args(argv)
    tokens = dict(item.split("=", 1) for item in args.token) or None
    graph = FakeGraphAPI("127.0.0.1", args.port, validate=not args.no_validate, tokens=tokens)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with graph.start():
        print(graph.url, flush=True)
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "dump":
                records = [_record(r) for r in graph.requests if r.path.endswith("/messages")]
                Path(arg).write_text(json.dumps(records))
                print("done", flush=True)


if __name__ == "__main__":
    fake_main(sys.argv[1:])
