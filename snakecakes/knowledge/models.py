"""The knowledge tables: each bot's documents, their searchable chunks, and the answers given
from them with the customers' feedback.

Full-text indexes are not modelled here because they differ per database and SQLAlchemy cannot
express them: on SQLite an FTS5 table (`knowledge_fts`) kept in step with `knowledge_chunks` by
triggers, on PostgreSQL a GIN index over `to_tsvector('simple', search_text)`. Migration 0006
creates the right one (see snakecakes.knowledge.search for the queries).

`search_text` is the chunk already normalised by snakecakes.knowledge.text (stems, synonyms,
accents folded), so both databases match the same tokens and rank alike.
Every table carries `bot_id`: a query never reaches another bot's documents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from snakecakes.db.models import Base
from snakecakes.db.types import BigId, JSONType, UTCDateTime, utcnow


class KnowledgeDocument(Base):
    """One document of a bot. `source` (a URL or a path) names it: adding the same source again
    replaces it; `content_hash` makes adding unchanged content a no-op."""

    __tablename__ = "knowledge_documents"
    __table_args__ = (UniqueConstraint("bot_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeChunk(Base):
    """A passage of a document, with the headings above it, as search returns it."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (Index("ix_knowledge_chunks_bot_document", "bot_id", "document_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("knowledge_documents.id"))
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)


class KnowledgeAnswerRow(Base):
    """An answer the bot gave from the documents, kept for its 👍/👎 (`ref` is on the buttons).

    Written by the turn that answered (inside its one commit), so an answer dropped by
    latest-wins leaves no row and its buttons were never sent."""

    __tablename__ = "knowledge_answers"
    __table_args__ = (UniqueConstraint("bot_id", "ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    ref: Mapped[str] = mapped_column(String(32))
    customer_key: Mapped[str | None] = mapped_column(String(128))
    session_id: Mapped[int | None] = mapped_column(BigId)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    vote: Mapped[str | None] = mapped_column(String(8))  # up | down | None (no tap yet)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KnowledgeAnswerSource(Base):
    """Which documents an answer cited, so feedback can be counted per document in SQL.

    `document_id` is deliberately not a foreign key: feedback outlives a removed document."""

    __tablename__ = "knowledge_answer_sources"
    __table_args__ = (
        UniqueConstraint("answer_id", "document_id"),
        Index("ix_knowledge_answer_sources_bot_document", "bot_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id"))
    answer_id: Mapped[int] = mapped_column(BigId, ForeignKey("knowledge_answers.id"))
    document_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
