"""Offline answers with their source, declines, follow-ups, the Sources footer and the
search_knowledge tool result."""

from __future__ import annotations

import json

import pytest

from snakecakes import knowledge
from snakecakes.db.database import Database
from snakecakes.knowledge import Source, format_sources


@pytest.fixture
def shop(db: Database, bots: tuple[int, int]) -> int:
    with db.transaction() as session:
        knowledge.load_default_documents(session, bots[0])
    return bots[0]


def test_faq_answer_is_trimmed_to_the_point_and_names_its_source(db: Database, shop: int) -> None:
    with db.read() as session:
        answer = knowledge.find_answer(session, shop, "How long does a cheesecake keep?")
    assert answer is not None
    assert "Cheesecakes keep for 4 days in the fridge." in answer.text
    assert "Sachertorte" not in answer.text  # the other lines of the list are left out
    assert answer.text.endswith(
        "_Source: Cake care and storage_ \N{EM DASH} https://snakecakes.example/cake-care"
    )
    assert [s.title for s in answer.sources] == ["Cake care and storage"]
    assert answer.question == "How long does a cheesecake keep?"


def test_unrelated_questions_are_declined(db: Database, shop: int) -> None:
    with db.read() as session:
        for question in ("what's the weather in Paris", "who won the football match", "hi"):
            assert knowledge.find_answer(session, shop, question) is None, question


def test_follow_up_reads_the_previous_question(db: Database, shop: int) -> None:
    with db.read() as session:
        alone = knowledge.find_answer(session, shop, "and on sunday?")
        follow = knowledge.find_answer(
            session, shop, "and on sunday?", context="what time do you close on saturday"
        )
    assert alone is None or "Sunday" in alone.text
    assert follow is not None and "Sunday: 10:00\N{EN DASH}16:00" in follow.text


def test_sources_footer_numbers_dedupes_and_caps() -> None:
    sources = [
        Source("FAQ", "https://x.example/faq", 1),
        Source("Delivery", None, 2),
        Source("FAQ", "https://x.example/faq", 1),
        Source("Care", "https://x.example/care", 3),
        Source("Hours", "https://x.example/hours", 4),
    ]
    assert format_sources(sources) == (
        "*Sources*\n"
        "[1] FAQ \N{EM DASH} https://x.example/faq\n"
        "[2] Delivery\n"
        "[3] Care \N{EM DASH} https://x.example/care"
    )
    assert format_sources([]) == ""


def test_search_tool_result_numbers_sources_and_says_when_nothing_fits(
    db: Database, shop: int
) -> None:
    with db.read() as session:
        found = knowledge.search_tool_result(session, shop, "do you deliver to Spandau, and fees?")
        nothing = knowledge.search_tool_result(session, shop, "capital of Australia")
    json.dumps(found), json.dumps(nothing)  # JSON-able as the tool protocol needs
    assert found["found"] is True
    assert found["sources"][0] == {
        "n": 1,
        "title": "Delivery zones and fees",
        "url": "https://snakecakes.example/delivery",
    }
    numbers = {s["n"] for s in found["sources"]}
    assert {p["source"] for p in found["passages"]} == numbers
    assert found["sources_footer"].startswith("*Sources*\n[1] Delivery zones and fees")
    assert nothing["found"] is False and nothing["passages"] == []
