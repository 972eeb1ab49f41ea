"""Adding, replacing, listing and removing a bot's documents, in the caller's transaction.

A document is named by its source (a path or URL), unique per bot: adding the same source again
replaces its chunks when the content changed and does nothing when it did not (a hash of the
bytes and of this module's INDEX_VERSION, so a change in chunking or normalisation re-indexes
everything on the next load). On SQLite the FTS5 index follows the chunk rows by triggers; on
PostgreSQL the GIN index is over the rows themselves: nothing else to keep in step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from snakecakes.db.types import utcnow
from snakecakes.knowledge import text
from snakecakes.knowledge.chunking import chunk_document
from snakecakes.knowledge.ingest import IngestError, kind_of, parse
from snakecakes.knowledge.models import KnowledgeChunk, KnowledgeDocument

INDEX_VERSION = "1"
DEFAULT_DOCUMENTS = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    title: str
    source: str
    url: str | None
    kind: str
    chunks: int
    updated_at: datetime


@dataclass(frozen=True)
class AddResult:
    document: DocumentInfo
    status: str  # added | replaced | unchanged


def _info(row: KnowledgeDocument) -> DocumentInfo:
    return DocumentInfo(
        row.id, row.title, row.source, row.url, row.kind, row.chunk_count, row.updated_at
    )


def add_document(
    session: Session,
    bot_id: int,
    data: bytes,
    *,
    source: str,
    kind: str | None = None,
    title: str | None = None,
    url: str | None = None,
) -> AddResult:
    """Index one document for a bot; `source` names it (a path or URL), `kind` defaults to what
    its extension says. Raises IngestError for an unreadable or empty document."""
    kind = kind or kind_of(source)
    source = source.strip()
    if not source:
        raise IngestError("a document needs a source (a path or URL)")
    if url is None and source.startswith(("https://", "http://")):
        url = source
    digest = hashlib.sha256(
        f"{INDEX_VERSION}\0{kind}\0{title or ''}\0{url or ''}\0".encode() + data
    ).hexdigest()
    row = session.scalars(
        select(KnowledgeDocument).where(
            KnowledgeDocument.bot_id == bot_id, KnowledgeDocument.source == source
        )
    ).one_or_none()
    if row is not None and row.content_hash == digest:
        return AddResult(_info(row), "unchanged")
    parsed = parse(data, kind, source)
    chunks = chunk_document(parsed)
    now = utcnow()
    status = "replaced"
    if row is None:
        status = "added"
        row = KnowledgeDocument(bot_id=bot_id, source=source, created_at=now)
        session.add(row)
    else:
        session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == row.id))
    row.title = (title or parsed.title)[:300]
    row.url = url or parsed.url
    row.kind = kind
    row.content_hash = digest
    row.chunk_count = len(chunks)
    row.updated_at = now
    session.flush()
    for chunk in chunks:
        session.add(
            KnowledgeChunk(
                bot_id=bot_id,
                document_id=row.id,
                position=chunk.position,
                heading=chunk.heading[:500],
                text=chunk.text,
                # the title and headings say what a passage is about: they count twice
                search_text=text.index_text(row.title, chunk.heading, chunk.heading, chunk.text),
            )
        )
    session.flush()
    return AddResult(_info(row), status)


def add_path(session: Session, bot_id: int, path: str | Path) -> AddResult:
    """A file from disk; its resolved path is its source."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror})") from None
    return add_document(session, bot_id, data, source=str(path.resolve()), kind=kind_of(path.name))


def list_documents(session: Session, bot_id: int) -> list[DocumentInfo]:
    rows = session.scalars(
        select(KnowledgeDocument)
        .where(KnowledgeDocument.bot_id == bot_id)
        .order_by(KnowledgeDocument.title, KnowledgeDocument.id)
    )
    return [_info(row) for row in rows]


def find_document(session: Session, bot_id: int, key: str | int) -> KnowledgeDocument | None:
    """By id, or by source; a relative path is resolved like `add_path` stores it."""
    query = select(KnowledgeDocument).where(KnowledgeDocument.bot_id == bot_id)
    if isinstance(key, int) or key.isdigit():
        return session.scalars(query.where(KnowledgeDocument.id == int(key))).one_or_none()
    for source in dict.fromkeys([key, str(Path(key).resolve())]):
        row = session.scalars(query.where(KnowledgeDocument.source == source)).one_or_none()
        if row is not None:
            return row
    return None


def remove_document(session: Session, bot_id: int, key: str | int) -> DocumentInfo | None:
    """Remove a document and its chunks; None when this bot has no such document."""
    row = find_document(session, bot_id, key)
    if row is None:
        return None
    info = _info(row)
    session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == row.id))
    session.delete(row)
    session.flush()
    return info


def load_default_documents(session: Session, bot_id: int) -> list[AddResult]:
    """The Snake Cakes documents shipped with the project, for the default bot; idempotent
    (an unchanged file is a no-op, a changed one replaces its chunks)."""
    return [
        add_document(
            session,
            bot_id,
            path.read_bytes(),
            source=f"snakecakes:{path.name}",
            kind=kind_of(path.name),
        )
        for path in sorted(DEFAULT_DOCUMENTS.glob("*.md"))
    ]
