"""The offline engine's reading of the rest of an order from a message: the day and time (checked
against the cakes in play, refused with slots to tap), pickup or delivery (a typed address, a
pasted map link), the name, and allergies for the bakers.

A bare time ("3pm", "14") counts only while a day is being asked or already chosen; a bare
answer counts as the name only right after the name was asked and when nothing else in the
message moved the order on.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from snakecakes.bot.llms import offline_views as views
from snakecakes.bot.llms.offline_flow import Flow
from snakecakes.bot.llms.offline_nlu import (
    Address,
    Intent,
    detect_intents,
    extract_allergy_notes,
    extract_name,
    parse_time,
    parse_when,
)
from snakecakes.bot.llms.offline_nlu.text import fold
from snakecakes.shop.schedule import ScheduleError, check_wanted, describe_slot, slots_on

_NOT_NAME = re.compile(r"\d|@|\b(?:yes|no|ok|okay|thanks|hello|hi|pickup|delivery)\b", re.I)


def _bare_number(text: str) -> bool:
    return re.fullmatch(r"\s*\d{1,3}\s*", text) is not None


def read_when(flow: Flow, text: str) -> None:
    when = parse_when(text, flow.ctx.now)
    at: time | None = None
    if when is not None:
        at = when.time
    else:  # a time alone ("at 3pm"); a bare "3" only when a time is being asked
        asked = flow.asking in ("time", "day")
        spoken = f"at {text.strip()}" if _bare_number(text) and asked else text
        found = parse_time(spoken)
        at = found.time if found else None
    if when is None and at is None:
        return
    wanted = flow.desk.cart.get("wanted") or {}
    if when is not None and at is None:
        at_text = flow.state.get("want_time") or wanted.get("time")
        at = time.fromisoformat(at_text) if at_text else None
    if when is None and not flow.state.get("want_day") and wanted:
        want(flow, date.fromisoformat(wanted["date"]), at)
    else:
        want(flow, when.date if when else None, at)
    settle_date(flow)


def read_where(
    flow: Flow, text: str, address: Address | None, coordinates: tuple[float, float] | None
) -> None:
    intents = detect_intents(text)
    if address is not None and address.complete:
        flow.delivery(address=str(address))
    elif coordinates is not None:
        flow.delivery(location=coordinates)
    elif address is not None and (flow.asking == "address" or Intent.DELIVERY in intents):
        flow.say("Please send the whole address: street, house number and postcode.")
        flow.state["delivery"] = True
        flow.acted = True
    elif Intent.DELIVERY in intents:
        flow.delivery()
    elif Intent.PICKUP in intents:
        flow.pickup()


def read_name(flow: Flow, text: str) -> None:
    name = extract_name(text)
    if name is None and flow.asking == "name" and not flow.acted:
        words = text.strip().strip(".!")
        words = re.sub(r"^(?:it'?s|for|name|under|unter|a nombre de)\s+", "", words, flags=re.I)
        if 1 <= len(words.split()) <= 4 and not _NOT_NAME.search(words):
            name = words.title() if words.islower() else words
    if name:
        flow.name(name)


def read_allergies(flow: Flow, text: str) -> None:
    note = extract_allergy_notes(text)
    if note is None or text.rstrip().endswith("?"):  # "is it nut-free?" is no allergy note
        return
    real = set(note.tags) - {"vegan", "vegetarian", "halal"}
    if not real and not re.search(r"allerg|intoleran", fold(text)):
        return
    before = str(flow.desk.cart.get("allergies") or "")
    words = f"{before} {note.text}".strip() if note.text not in before else before
    outcome = flow.desk.set_notes(allergies=words)
    if outcome.ok:
        flow.say(f"Noted for our bakers: {note.text}")
    flow.acted = True


def want(flow: Flow, day: date | None, at: time | None) -> None:
    """The day and/or time the customer wants; a time said before the day is kept."""
    if day is not None:
        flow.state["want_day"] = day.isoformat()
        wanted = flow.desk.cart.get("wanted")
        if at is None and not flow.state.get("want_time") and wanted:
            at = time.fromisoformat(wanted["time"])  # another day, the same time
    if at is not None:
        flow.state["want_time"] = f"{at:%H:%M}"
    flow.acted = True


def settle_date(flow: Flow) -> None:
    """Check a wanted date against the cakes in play; set it once a cake is in the cart."""
    day = flow.state.get("want_day")
    products = flow.products_in_play()
    if not day or not products:
        return
    at = flow.state.get("want_time")
    if at is None:
        check_day(flow, date.fromisoformat(day))
        return
    moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(at))
    if flow.state.get("pending") or not flow.desk.cart["items"]:
        try:
            check_wanted(flow.catalog, products, moment.date(), moment.time(), flow.ctx.now)
        except ScheduleError as exc:
            flow.state["want_day"] = flow.state["want_time"] = None
            refuse(flow, str(exc), [describe_slot(s) for s in exc.suggestions])
            return
        if flow.state.get("want_said") != moment.isoformat():
            flow.state["want_said"] = moment.isoformat()
            flow.say(f"Noted for {describe_slot(moment)}.")
        return
    flow.state["want_day"] = flow.state["want_time"] = None
    outcome = flow.desk.set_date(day, at)
    if not outcome.ok:
        refuse(flow, outcome.message, outcome.data.get("suggestions") or [])
    elif flow.state.pop("want_said", None) != moment.isoformat():
        flow.say(f"Noted for {describe_slot(moment)}.")


def check_day(flow: Flow, day: date) -> None:
    """A day without a time: refused now if the shop cannot do that day at all."""
    shop = flow.catalog.shop
    slots = slots_on(shop, day, flow.ctx.now)
    hours = shop.hours_on(day)
    at = slots[0].time() if slots else (hours[0].opens if hours else time(12))
    try:
        check_wanted(flow.catalog, flow.products_in_play(), day, at, flow.ctx.now)
    except ScheduleError as exc:
        flow.state["want_day"] = None
        refuse(flow, str(exc), [describe_slot(s) for s in exc.suggestions])


def refuse(flow: Flow, message: str, suggestions: list[str]) -> None:
    slots = [_slot(s) for s in suggestions]
    found = [s for s in slots if s is not None]
    if found:
        text = f"{message}\nShall I book one of these instead? Or tell me another day."
        flow.ask("day", views.slots_list(flow.ctx, found, text), text)
    else:
        flow.say(message)
    flow.acted = True


def _slot(described: str) -> datetime | None:
    try:
        return datetime.strptime(described, "%A %d %B %Y at %H:%M")
    except ValueError:
        return None
