"""Search within one bot's documents: the database's full text finds candidates, BM25 over the
bot's own corpus statistics ranks them the same way on both databases.

Why two stages: SQLite's bm25() and PostgreSQL's ts_rank() score on different scales (ts_rank
ignores how rare a word is), so a threshold tuned on one would be wrong on the other. The
database does the part it is good at, finding the passages that share a word with the question
among many (FTS5 `MATCH`, GIN `@@`, OR semantics, always filtered by bot); Python then scores at
most CANDIDATES of them by BM25, with document frequencies of the bot's corpus, cached per
process and refreshed when the bot's documents change.

`Passage.score` is that BM25 score divided by the best score the question could reach, so it
lies in 0..1 and means the same for every question, backend and corpus size.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from snakecakes.knowledge import text as normalise
from snakecakes.knowledge.models import KnowledgeChunk, KnowledgeDocument
from snakecakes.knowledge.rerank import Reranker

CANDIDATES = 40
RERANK_TOP = 10
K1, B = 1.2, 0.3  # weak length normalisation: long lists of facts are not less relevant


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None
    document_id: int


@dataclass(frozen=True)
class Passage:
    text: str
    source: Source
    score: float  # 0..1: share of the best score this question could reach
    chunk_id: int
    heading: str = ""


@dataclass(frozen=True)
class CorpusStats:
    chunks: int
    average_length: float
    document_frequency: Mapping[str, int]
    vocabulary: frozenset[str]

    def idf(self, term: str) -> float:
        """BM25's idf; a word no passage has counts as the rarest word there is (df 1), so in a
        small corpus it does not outweigh all the words that did match."""
        df = max(1, self.document_frequency.get(term, 0))
        return math.log(1 + (self.chunks - df + 0.5) / (df + 0.5))


_stats: dict[tuple[str, int], tuple[tuple[Any, ...], CorpusStats]] = {}
_stats_lock = threading.Lock()


def corpus_stats(session: Session, bot_id: int) -> CorpusStats:
    """Document frequencies of the bot's chunks; recomputed only when its documents changed."""
    fingerprint = tuple(
        session.execute(
            select(
                func.count(KnowledgeDocument.id),
                func.max(KnowledgeDocument.updated_at),
                func.coalesce(func.sum(KnowledgeDocument.chunk_count), 0),
            ).where(KnowledgeDocument.bot_id == bot_id)
        ).one()
    )
    key = (str(session.get_bind().engine.url), bot_id)  # tests run several databases in one process
    with _stats_lock:
        cached = _stats.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    df: Counter[str] = Counter()
    total = count = 0
    for search_text in session.scalars(
        select(KnowledgeChunk.search_text).where(KnowledgeChunk.bot_id == bot_id)
    ):
        tokens = search_text.split()
        df.update(set(tokens))
        total += len(tokens)
        count += 1
    stats = CorpusStats(count, total / count if count else 1.0, dict(df), frozenset(df))
    with _stats_lock:
        _stats[key] = (fingerprint, stats)
    return stats


def search(
    session: Session,
    bot_id: int,
    query: str,
    limit: int = 5,
    *,
    context: str | None = None,
    reranker: Reranker | None = None,
) -> list[Passage]:
    """The passages of this bot's documents that best answer `query`, best first.

    `context` (an earlier question of the chat) adds its words at half weight, so a follow-up
    such as "and for delivery?" is read with the topic it follows."""
    stats = corpus_stats(session, bot_id)
    if not stats.chunks:
        return []
    weights: dict[str, float] = {}
    for term in normalise.query_terms(context or "", stats.vocabulary):
        weights[term] = 0.5
    for term in normalise.query_terms(query, stats.vocabulary):
        weights[term] = 1.0
    if not weights:
        return []
    rows = _candidates(session, bot_id, [t for t in weights if t in stats.vocabulary])
    best_possible = sum(w * stats.idf(t) * (K1 + 1) for t, w in weights.items())
    scored = []
    for row in rows:
        tokens = Counter(row.search_text.split())
        length = sum(tokens.values())
        score = 0.0
        for term, weight in weights.items():
            tf = tokens.get(term, 0)
            if tf:
                norm = K1 * (1 - B + B * length / stats.average_length)
                score += weight * stats.idf(term) * tf * (K1 + 1) / (tf + norm)
        source = Source(row.title, row.url, row.document_id)
        scored.append(Passage(row.text, source, score / best_possible, row.id, row.heading))
    scored.sort(key=lambda p: (-p.score, p.chunk_id))
    if reranker is not None:  # the best lexical candidates only: embedding costs CPU
        scored = reranker.rerank(query, scored[:RERANK_TOP]) + scored[RERANK_TOP:]
    return scored[:limit]


def _candidates(session: Session, bot_id: int, terms: Sequence[str]) -> Sequence[Any]:
    """Chunks sharing at least one term with the question, by the database's own ranking."""
    if not terms:
        return []
    columns = (
        "c.id, c.document_id, c.heading, c.text, c.search_text, d.title, d.url "
        "FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id"
    )
    if session.get_bind().dialect.name == "sqlite":
        sql = (
            f"SELECT {columns} JOIN knowledge_fts f ON f.rowid = c.id "
            "WHERE knowledge_fts MATCH :q AND c.bot_id = :bot "
            "ORDER BY bm25(knowledge_fts) LIMIT :n"
        )
        q = " OR ".join(f'"{t}"' for t in terms)
    else:
        sql = (
            f"SELECT {columns} "
            "WHERE c.bot_id = :bot AND to_tsvector('simple', c.search_text) @@ "
            "to_tsquery('simple', :q) ORDER BY ts_rank(to_tsvector('simple', c.search_text), "
            "to_tsquery('simple', :q)) DESC, c.id LIMIT :n"
        )
        q = " | ".join(terms)
    return session.execute(text(sql), {"q": q, "bot": bot_id, "n": CANDIDATES}).all()
