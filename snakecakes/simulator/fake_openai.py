"""A fake OpenAI Chat Completions API on 127.0.0.1, scripted per test.

Why a real HTTP server: the bot's OpenAI engine is tested through the real ``openai`` SDK
(``OpenAI(base_url=fake.url + "/v1", api_key="test")``), so its retries, timeouts, parsing and
the messages it sends are what get tested, not a mock's idea of them. The socket plumbing (held
and dropped connections, clean shutdown) is the fake Graph API's ``GraphServer``, reused.

``POST /v1/chat/completions`` answers the next script step (steps, and the wire format, are in
:mod:`snakecakes.simulator.fake_openai_script`); ``GET /v1/models[/{id}]`` lists ``models``;
other paths get OpenAI's 404 "Invalid URL"; with ``api_key`` set, other keys get 401.

Behaviour choices:

* When the script runs out and there is no ``default`` step, the answer is HTTP 500 with
  ``x-should-retry: false`` (the SDK fails at once, no retries) saying the script ran out.
* Requests are checked like the real API (``validate=True``): missing model or messages, empty
  ``tools``, ``tool_choice`` without tools, a tool message answering no preceding tool call,
  tool calls left unanswered: 400 ``invalid_request_error``, and the step is *not* used up.
  These are the mistakes an engine makes when it assembles history.
* ``stream=True`` is supported minimally: the whole answer at once, as SSE chunks.
* One choice (``n`` is ignored); ``model`` is echoed back as sent.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from snakecakes.simulator import fake_openai_script as wire
from snakecakes.simulator.fake_graph_http import GraphServer, Incoming, Reply
from snakecakes.simulator.fake_openai_script import Json, Step

__all__ = ["FakeOpenAI", "RecordedRequest", "main"]

log = logging.getLogger(__name__)
COMPLETIONS = "/v1/chat/completions"
NO_RETRY = {"x-should-retry": "false"}
# The answer, the script step used, the JSON answered, and how long to wait before answering.
Outcome = tuple[Reply, Step | None, Json | None, float]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it. ``json`` is the parsed body (None if it was not JSON);
    ``headers`` keys are lower case; ``status`` 0 means no answer (Timeout, Drop); ``step`` is
    the script step used (after ``Respond`` decided; None if none was); ``response`` the JSON
    answered (a completion, streamed or not, or an error body)."""

    method: str
    path: str
    headers: Mapping[str, str]
    json: Any
    at: float
    status: int
    step: Step | None
    response: Json | None

    def _field(self, name: str) -> Any:
        return self.json.get(name) if isinstance(self.json, dict) else None

    @property
    def model(self) -> str | None:
        return self._field("model")

    @property
    def messages(self) -> list[Json]:
        return self._field("messages") or []

    @property
    def tools(self) -> list[Json]:
        return self._field("tools") or []

    @property
    def tool_choice(self) -> Any:
        return self._field("tool_choice")


class FakeOpenAI:
    """``with FakeOpenAI() as fake: fake.script(Say("Hi!"))``. ``port=0`` picks a free port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        default: Step | None = None,
        api_key: str | None = None,
        models: Sequence[str] = ("gpt-4o-mini",),
        validate: bool = True,
        cache_min_tokens: int = 0,
    ) -> None:
        self.host, self.port = host, port
        self.default, self.api_key, self.validate = default, api_key, validate
        self.models = list(models)
        self.cache = wire.PromptCache(cache_min_tokens)
        self._steps: deque[Step] = deque()
        self._log: list[RecordedRequest] = []
        self._changed = threading.Condition()
        self._server: GraphServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = GraphServer((self.host, self.port), self._respond)
        self._stopping = self._server.stopping
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release held (Timeout, Slow) requests, close connections, join."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.stop()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; the SDK's ``base_url`` is this plus ``/v1``."""
        return f"http://{self.host}:{self.port}"

    # -- script and records ------------------------------------------------------------------

    def script(self, *steps: Step) -> FakeOpenAI:
        """Append steps: each answers the next chat completion request, in order."""
        with self._changed:
            self._steps.extend(steps)
        return self

    @property
    def pending(self) -> int:
        """Script steps not used yet (assert 0 at the end of a test to catch missing calls)."""
        with self._changed:
            return len(self._steps)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far (completions, models, refused ones), in arrival order."""
        with self._changed:
            return sorted(self._log, key=lambda r: r.at)

    @property
    def completions(self) -> list[RecordedRequest]:
        """The chat completion requests, in arrival order."""
        return [r for r in self.requests if r.path == COMPLETIONS and r.method == "POST"]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until ``count`` chat completion requests have arrived (or ``timeout``)."""
        with self._changed:
            self._changed.wait_for(
                lambda: sum(r.path == COMPLETIONS for r in self._log) >= count, timeout
            )
        return self.completions

    def clear(self) -> None:
        """Forget the script, the records and the prompt cache."""
        with self._changed:
            self._steps.clear()
            self._log.clear()
        self.cache.clear()

    # -- serving -----------------------------------------------------------------------------

    def _respond(self, req: Incoming) -> Reply:
        started = time.monotonic()
        body = _json_or_none(req.body)
        try:
            reply, step, answered, delay = self._route(req, body)
        except Exception as exc:  # a fake bug or a crashing Respond: say so, do not retry
            log.exception("fake OpenAI failed on %s %s", req.method, req.path)
            answered = wire.error_body(f"fake OpenAI: {exc!r}", "server_error")
            reply, step, delay = Reply(500, answered, headers=dict(NO_RETRY)), None, 0.0
        entry = RecordedRequest(
            req.method, req.path, req.headers, body, req.at, reply.status, step, answered
        )
        with self._changed:
            self._log.append(entry)
            self._changed.notify_all()
        if delay > 0:
            self._stopping.wait(delay)
        elapsed = int((time.monotonic() - started) * 1000)
        extra = {
            "x-request-id": "req_" + secrets.token_hex(16),
            "openai-processing-ms": str(elapsed),
        }
        return replace(reply, headers={**extra, **reply.headers})

    def _route(self, req: Incoming, body: Any) -> Outcome:
        chat = (req.method, req.path) == ("POST", COMPLETIONS)
        if not chat and not (req.method == "GET" and req.path.startswith("/v1/models")):
            error = wire.error_body(
                f"Invalid URL ({req.method} {req.path})", "invalid_request_error"
            )
            return Reply(404, error), None, error, 0.0
        if refused := self._unauthorized(req):
            return refused, None, refused.json, 0.0
        if chat:
            return self._chat(body)
        models = self._models(req.path.removeprefix("/v1/models").strip("/"))
        return Reply(200, models), None, models, 0.0

    def _unauthorized(self, req: Incoming) -> Reply | None:
        token = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self.api_key is None or token == self.api_key:
            return None
        shown = token[:3] + "*" * max(0, len(token) - 7) + token[-4:] if token else "(none)"
        message = f"Incorrect API key provided: {shown}. (fake OpenAI)"
        return Reply(
            401, wire.error_body(message, "invalid_request_error", None, "invalid_api_key")
        )

    def _models(self, model_id: str) -> Json:
        def card(name: str) -> Json:
            return {"id": name, "object": "model", "created": 1715367049, "owned_by": "system"}

        if not model_id:
            return {"object": "list", "data": [card(m) for m in self.models]}
        return card(model_id)

    def _chat(self, body: Any) -> Outcome:
        if self.validate and (error := wire.problem(body)):
            return Reply(400, error), None, error, 0.0
        request: Json = body
        with self._changed:
            step = self._steps.popleft() if self._steps else self.default
            number = sum(r.path == COMPLETIONS for r in self._log) + 1
        if step is None:
            message = (
                f"fake OpenAI: the script ran out at chat completion request #{number}; "
                "add steps with fake.script(...) or pass FakeOpenAI(default=...)"
            )
            log.warning(message)
            error = wire.error_body(message, "server_error", None, "fake_script_exhausted")
            return Reply(500, error, headers=dict(NO_RETRY)), None, error, 0.0
        return self._answer(step, request, 0.0, depth=0)

    def _answer(self, step: Step, request: Json, delay: float, depth: int) -> Outcome:
        """Resolve ``Respond`` and ``Slow`` (adding up their delays), then answer the step."""
        if depth > 20:
            raise RecursionError("Respond/Slow steps nest more than 20 deep")
        if isinstance(step, wire.Respond):
            return self._answer(step.decide(request), request, delay, depth + 1)
        if isinstance(step, wire.Slow):
            return self._answer(step.then, request, delay + step.seconds, depth + 1)
        if isinstance(step, wire.RateLimited):
            step = step.as_error()
        if isinstance(step, wire.HttpError):
            error, headers = wire.http_error_body(step), {}
            if step.retry_after is not None:
                headers["retry-after"] = str(max(0, math.ceil(step.retry_after)))
                headers["retry-after-ms"] = str(int(step.retry_after * 1000))
            return Reply(step.status, error, headers=headers), step, error, delay
        if isinstance(step, wire.Timeout):
            return Reply(0, hold=step.seconds), step, None, delay
        if isinstance(step, wire.Drop):
            return Reply(0), step, None, delay
        if isinstance(step, wire.GarbledBody):
            return Reply(200, body=step.body), step, None, delay
        prompt, cached = self.cache.measure(request)
        done = wire.completion(step, str(request.get("model")), prompt, cached)
        if not request.get("stream"):
            return Reply(200, done), step, done, delay
        options = request.get("stream_options") or {}
        sse = wire.sse_body(done, bool(options.get("include_usage")))
        return (
            Reply(200, body=sse, content_type="text/event-stream; charset=utf-8"),
            step,
            done,
            delay,
        )


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m snakecakes.simulator.fake_openai --port 8082``: serve until interrupted,
    answering every completion with ``--reply`` (or ``--echo``: the customer's last message)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--reply", default="Hello from the fake OpenAI server!")
    parser.add_argument("--echo", action="store_true", help="say back the last user message")
    parser.add_argument("--api-key", help="accept only this bearer token")
    parser.add_argument("--model", action="append", help="listed by /v1/models (repeatable)")
    args = parser.parse_args(argv)
    default: Step = wire.Respond(wire.echo) if args.echo else wire.Say(args.reply)
    fake = FakeOpenAI(
        args.host,
        args.port,
        default=default,
        api_key=args.api_key,
        models=args.model or ["gpt-4o-mini"],
    )
    with fake.start():
        print(fake.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
