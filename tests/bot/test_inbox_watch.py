"""The workers' inbox watch, on both databases: rows stored through the real webhook (the
stack's web process enqueues nothing) become one job per chat and newest row, however many
watchers look; a failed enqueue is tried again by the next poll. The DBOS side (one job per
id across two workers) runs in tests/bot/test_workers.py."""

from __future__ import annotations

from sqlalchemy import update

from snakecakes.bot.inbox_watch import InboxWatch
from snakecakes.db.models import InboxMessage
from snakecakes.simulator import payloads as p
from tests.conftest import PHONE_ID, Stack
from tests.test_webhook import post

ANNA, BEN = "4915100000001", "4915100000002"


def _say(stack: Stack, customer: str, *texts: str) -> None:
    messages = [p.text(p.new_wamid(), customer, t) for t in texts]
    assert post(stack, p.envelope(p.change(PHONE_ID, messages=messages))).status_code == 200


class Jobs:
    """Records the enqueues a watch makes; can refuse the next ones."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.refuse = 0

    def __call__(self, bot_id: int, chat_key: str, workflow_id: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise ConnectionError("system database away")
        assert workflow_id.startswith(f"turns-{bot_id}-{chat_key}-")
        self.ids.append(workflow_id)


def test_one_job_per_chat_and_newest_row_and_new_rows_make_new_jobs(stack: Stack) -> None:
    jobs = Jobs()
    watch, other_worker = InboxWatch(stack.services.db, jobs), InboxWatch(stack.services.db, jobs)
    _say(stack, ANNA, "Hallo", "I want a cake")
    _say(stack, BEN, "Hi")
    assert watch.poll() == 2
    assert watch.poll() == 0  # nothing new
    assert other_worker.poll() == 2  # the same two ids: DBOS keeps one job each
    assert len(set(jobs.ids)) == 2 and len(jobs.ids) == 4
    _say(stack, ANNA, "for saturday")
    assert watch.poll() == 1
    assert jobs.ids[-1] != jobs.ids[0] and jobs.ids[-1].split("-")[2] == ANNA
    with stack.services.db.transaction() as s:  # the turns committed: nothing pending
        s.execute(update(InboxMessage).values(state="done"))
    assert watch.poll() == 0 and watch._dispatched == {}


def test_a_refused_enqueue_is_tried_again_by_the_next_poll(stack: Stack) -> None:
    jobs = Jobs()
    watch = InboxWatch(stack.services.db, jobs)
    _say(stack, ANNA, "Hallo")
    _say(stack, BEN, "Hi")
    jobs.refuse = 1
    assert watch.poll() == 0  # the first refused: the rest wait for the next poll
    assert watch.poll() == 2
    assert sorted(i.split("-")[2] for i in jobs.ids) == [ANNA, BEN]
