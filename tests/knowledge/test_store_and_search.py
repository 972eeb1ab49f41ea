"""Documents per bot: a changed document replaces its chunks, removal removes, and search never
crosses from one bot to another; on both databases."""

from __future__ import annotations

from sqlalchemy import func, select, text

from snakecakes import knowledge
from snakecakes.db.database import Database
from snakecakes.knowledge.models import KnowledgeChunk

V1 = b"# Loyalty card\n\n## Stamps\n\nEach cake earns a stamp; ten stamps give a free cupcake box."
V2 = b"# Loyalty card\n\n## Points\n\nEvery euro earns a point; 200 points give a free torte.\n"


def _chunks(db: Database, document_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(KnowledgeChunk.text).where(KnowledgeChunk.document_id == document_id)
            )
        )


def _fts_consistent(db: Database) -> None:
    """SQLite: the FTS5 index agrees with the chunk rows (it raises when it does not)."""
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO knowledge_fts(knowledge_fts) VALUES ('integrity-check')")
            )


def test_changed_document_replaces_its_chunks_unchanged_is_a_no_op(
    db: Database, bots: tuple[int, int]
) -> None:
    bot, _ = bots
    with db.transaction() as session:
        first = knowledge.add_document(session, bot, V1, source="loyalty.md")
    old_chunks = _chunks(db, first.document.id)
    with db.transaction() as session:
        again = knowledge.add_document(session, bot, V1, source="loyalty.md")
    assert (first.status, again.status) == ("added", "unchanged")
    assert _chunks(db, first.document.id) == old_chunks

    with db.transaction() as session:
        changed = knowledge.add_document(session, bot, V2, source="loyalty.md")
    assert changed.status == "replaced" and changed.document.id == first.document.id
    assert old_chunks == ["Each cake earns a stamp; ten stamps give a free cupcake box."]
    assert _chunks(db, first.document.id) == [
        "Every euro earns a point; 200 points give a free torte."
    ]
    _fts_consistent(db)
    with db.read() as session:
        assert knowledge.search(session, bot, "stamps cupcake box") == []
        found = knowledge.search(session, bot, "how many points for a free torte")
        assert [p.source.document_id for p in found] == [first.document.id]
        assert "200 points" in found[0].text
        assert [d.title for d in knowledge.list_documents(session, bot)] == ["Loyalty card"]


def test_removal_takes_the_chunks_and_the_index_entries(
    db: Database, bots: tuple[int, int]
) -> None:
    bot, _ = bots
    with db.transaction() as session:
        added = knowledge.add_document(session, bot, V1, source="loyalty.md")
        knowledge.add_document(session, bot, V2, source="points.md")
    with db.transaction() as session:
        assert knowledge.remove_document(session, bot, "nothing.md") is None
        removed = knowledge.remove_document(session, bot, added.document.id)
    assert removed is not None and removed.source == "loyalty.md"
    assert _chunks(db, added.document.id) == []
    _fts_consistent(db)
    with db.read() as session:
        assert knowledge.search(session, bot, "stamps") == []
        assert [d.source for d in knowledge.list_documents(session, bot)] == ["points.md"]


def test_search_never_crosses_bots(db: Database, bots: tuple[int, int]) -> None:
    bot_a, bot_b = bots
    with db.transaction() as session:
        knowledge.add_document(session, bot_a, V1, source="loyalty.md")
        knowledge.add_document(
            session, bot_b, b"# Stamps\n\nWe sell postage stamps at the counter.\n", source="s.md"
        )
    with db.read() as session:
        a = knowledge.search(session, bot_a, "stamps")
        b = knowledge.search(session, bot_b, "stamps")
        assert a and all("cupcake" in p.text for p in a)
        assert b and all("postage" in p.text for p in b)
        # the same source name in two bots is two documents
        assert knowledge.remove_document(session, bot_b, "loyalty.md") is None
        question = "how many stamps for a free cupcake box"
        assert knowledge.find_answer(session, bot_a, question) is not None
        answer = knowledge.find_answer(session, bot_b, question)
        assert answer is None or "cupcake" not in answer.text


def test_default_documents_load_idempotently(db: Database, bots: tuple[int, int]) -> None:
    bot, _ = bots
    with db.transaction() as session:
        first = knowledge.load_default_documents(session, bot)
    with db.transaction() as session:
        second = knowledge.load_default_documents(session, bot)
    assert len(first) == 6 and {r.status for r in first} == {"added"}
    assert {r.status for r in second} == {"unchanged"}
    with db.read() as session:
        count = session.scalar(select(func.count(KnowledgeChunk.id)))
    assert count == sum(r.document.chunks for r in first)


def test_typos_and_other_words_still_find_the_document(db: Database, bots: tuple[int, int]) -> None:
    bot, _ = bots
    with db.transaction() as session:
        knowledge.load_default_documents(session, bot)
    with db.read() as session:
        for question, title in [
            ("delivry fee to neukölln", "Delivery zones and fees"),
            ("alergens in red velvet", "Allergens and dietary information"),
            ("Bestellung stornieren", "Cancellation and refund policy"),
            ("can I freeze the cake", "Cake care and storage"),
        ]:
            found = knowledge.search(session, bot, question, limit=1)
            assert found and found[0].source.title == title, question
