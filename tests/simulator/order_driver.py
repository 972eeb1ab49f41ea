"""A customer in the simulator page who orders a cake by tapping, as a person would.

Why a small policy rather than a fixed script: the offline engine decides which question comes
next (and may add an upsell or a list of days on the way); the customer reads the bot's latest
message and answers it: taps the preferred button or list row, or types an answer to a question.
Every step is kept, so a failure shows the whole conversation.
"""

from __future__ import annotations

import re
import time
from typing import Any

# Preferred taps, in order; anything else that is not avoided comes next.
PREFER = (
    "Confirm",
    "Pickup",
    "No, thanks",
    "No inscription",
    "Tortes",
    "Sachertorte",
    "18 cm",
)
AVOID = ("Add ", "Cancel", "Change", "Delivery", "Start over", "human", "Human", "Edit")
ANSWERS = (  # words in the bot's question -> what the customer types
    ("write something", "Happy Birthday Ben!"),
    ("inscription", "Happy Birthday Ben!"),
    ("which name", "Ben Müller"),
    ("deliver", "Torstraße 1, 10119 Berlin"),
    ("which day", "Saturday"),
    ("what time", "3pm"),
    ("pick it up", "Pickup"),
)
PLACED = re.compile(r"order \S*\d+\S* is placed|order \S+ is confirmed", re.IGNORECASE)
BOT_ROWS = ".row.theirs:not(.typing-row)"


class OrderDriver:
    def __init__(self, page: Any, max_steps: int = 20) -> None:
        self.page = page
        self.max_steps = max_steps
        self.steps: list[str] = []
        self.acted: set[str] = set()

    def transcript(self) -> str:
        bubbles = self.page.locator("#messages .row").all_inner_texts()
        return "\n".join(["steps:", *self.steps, "chat:", *bubbles])

    def wait_quiet(self, seen: int, timeout: float = 40.0, calm: float = 1.2) -> int:
        """Wait for a new bot message after ``seen`` of them, then until the bot is quiet."""
        deadline = time.monotonic() + timeout
        count, since = seen, time.monotonic()
        while time.monotonic() < deadline:
            now_count = self.page.locator(BOT_ROWS).count()
            typing = self.page.locator("#typing-row").is_visible()
            if now_count != count or typing:
                count, since = now_count, time.monotonic()
            elif count > seen and time.monotonic() - since >= calm:
                return count
            self.page.wait_for_timeout(150)
        raise AssertionError(f"the bot did not answer\n{self.transcript()}")

    def say(self, text: str) -> None:
        self.steps.append(f"type: {text}")
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")

    def _choose(self, titles: list[str]) -> int | None:
        for wanted in PREFER:
            for i, title in enumerate(titles):
                if title.strip().lstrip("☰ ").startswith(wanted):
                    return i
        for i, title in enumerate(titles):
            if not any(bad in title for bad in AVOID):
                return i
        return None

    def _act_on(self, row: Any) -> bool:
        """Answer this bot message if it asks something; False when it asks nothing."""
        buttons = row.locator(".extras button.reply-button:not(.list-open)")
        titles = buttons.all_inner_texts()
        pick = self._choose(titles) if titles else None
        if pick is not None:
            self.steps.append(f"tap button: {titles[pick]}")
            buttons.nth(pick).click()
            return True
        opener = row.locator(".list-open")
        if opener.count():
            opener.click()
            rows = self.page.locator("#list-body .list-row")
            labels = [t.splitlines()[0] for t in rows.all_inner_texts()]
            choice = self._choose(labels)
            assert choice is not None, labels
            self.steps.append(f"pick list row: {labels[choice]}")
            rows.nth(choice).click()
            return True
        text = row.inner_text().lower()
        for words, answer in ANSWERS:
            if words in text:
                self.say(answer)
                return True
        return False

    def order(self, greeting: str = "Hi!") -> str:
        """Greet, answer until the order is placed; returns the confirmation text."""
        seen = self.page.locator(BOT_ROWS).count()
        self.say(greeting)
        for _ in range(self.max_steps):
            seen = self.wait_quiet(seen)
            rows = self.page.locator(BOT_ROWS)
            latest = rows.nth(seen - 1).inner_text()
            if PLACED.search(latest):
                return latest
            for index in range(seen - 1, max(seen - 4, -1), -1):  # latest question first
                row = rows.nth(index)
                key = row.get_attribute("data-id") or str(index)
                if key not in self.acted and self._act_on(row):
                    self.acted.add(key)
                    break
            else:
                raise AssertionError(f"nothing to answer\n{self.transcript()}")
        raise AssertionError(f"no order after {self.max_steps} steps\n{self.transcript()}")
