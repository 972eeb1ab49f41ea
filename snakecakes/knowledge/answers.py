"""Answers with citations: what the offline engine says, and what the OpenAI engine's
`search_knowledge` tool returns.

The offline engine has no language model to summarise with, so it answers with the best
passage, trimmed to the sentences that carry the question's words, and names its source. It
answers only when the passage clears ANSWER_THRESHOLD (see search.Passage.score); below it the
engine says it does not know, which is better than a confident answer from the wrong page.
The threshold was chosen on benchmarks/data/retrieval_questions.yaml (answerable and
unanswerable questions); see docs/benchmarks.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from snakecakes.knowledge import text as normalise
from snakecakes.knowledge.chunking import sentences
from snakecakes.knowledge.rerank import Reranker
from snakecakes.knowledge.search import Passage, Source, corpus_stats, search

ANSWER_THRESHOLD = 0.27
RERANKED_THRESHOLD = 0.3  # with semantic re-ranking (half lexical, half cosine)
TOOL_THRESHOLD = 0.12  # the language model reads more, and judges for itself
MAX_SOURCES = 3
ANSWER_MAX_CHARS = 500
TRIM_FROM_CHARS = 300  # shorter passages are already to the point


@dataclass(frozen=True)
class KnowledgeAnswer:
    text: str  # WhatsApp-formatted: the passage trimmed to the point, and a short source line
    sources: tuple[Source, ...]
    question: str
    score: float = 0.0


def format_sources(sources: Sequence[Source]) -> str:
    """The "Sources" footer in WhatsApp's syntax: `[1] Title — link`, one line each, at most
    MAX_SOURCES, a document cited twice listed once."""
    unique = list({source.document_id: source for source in sources}.values())[:MAX_SOURCES]
    if not unique:
        return ""
    lines = ["*Sources*"]
    for n, source in enumerate(unique, 1):
        lines.append(f"[{n}] {source.title}" + (f" \N{EM DASH} {source.url}" if source.url else ""))
    return "\n".join(lines)


def source_line(source: Source) -> str:
    """One source under an offline answer: `_Source: Title_ — link`."""
    return f"_Source: {source.title}_" + (f" \N{EM DASH} {source.url}" if source.url else "")


def find_answer(
    session: Session,
    bot_id: int,
    question: str,
    context: str | None = None,
    *,
    reranker: Reranker | None = None,
) -> KnowledgeAnswer | None:
    """The offline engine's answer from the documents, or None when none is good enough.

    A follow-up ("and for delivery?") is tried with the chat's previous question as `context`
    when the question alone does not clear the threshold."""
    threshold = RERANKED_THRESHOLD if reranker else ANSWER_THRESHOLD
    passages = search(session, bot_id, question, limit=3, reranker=reranker)
    best = passages[0] if passages else None
    if context and (best is None or best.score < threshold):
        with_context = search(
            session, bot_id, question, limit=3, context=context, reranker=reranker
        )
        if with_context and (best is None or with_context[0].score > best.score):
            best = with_context[0]
    if best is None or best.score < threshold:
        return None
    terms = {t: 0.5 for t in normalise.query_terms(context or "")}
    terms.update({t: 1.0 for t in normalise.query_terms(question)})
    trimmed = trim(best, terms, session, bot_id)
    text = f"{trimmed}\n\n{source_line(best.source)}"
    return KnowledgeAnswer(text, (best.source,), question, best.score)


def trim(passage: Passage, terms: Mapping[str, float], session: Session, bot_id: int) -> str:
    """The sentences of a passage that answer: the one with the most (rarest) question words;
    for a list item, the sentence introducing the list and the next items that match too; for
    a sentence, the list it introduces or the next sentences while they still match."""
    if len(passage.text) <= TRIM_FROM_CHARS:
        return _with_heading(passage, passage.text)
    stats = corpus_stats(session, bot_id)
    parts = sentences(passage.text)
    found = [set(normalise.terms(s)) & set(terms) for s in parts]
    # a question word in every sentence says little about which one answers: weigh each word by
    # its rarity in the corpus and within this passage
    within = {t: math.log(1 + len(parts) / sum(t in f for f in found)) for t in set().union(*found)}
    weights = [sum(terms[t] * stats.idf(t) * within[t] for t in f) for f in found]
    best = max(range(len(parts)), key=lambda i: (weights[i], -i))
    chosen = [best]
    if _is_item(parts[best]):
        lead = best - 1
        while lead >= 0 and _is_item(parts[lead]):
            lead -= 1
        if lead >= 0 and parts[lead].endswith(":"):
            chosen.insert(0, lead)
    size = sum(len(parts[i]) + 1 for i in chosen)
    # a sentence just before a list introduces it ("We are open six days a week. ..." + days)
    list_at = None
    if not _is_item(parts[best]):
        ahead = range(best + 1, min(best + 3, len(parts)))
        list_at = next((i for i in ahead if _is_item(parts[i])), None)
    for nxt in range(best + 1, len(parts)):
        lead_in = list_at is not None and nxt <= list_at
        introduces = lead_in or (
            not _is_item(parts[best]) and _is_item(parts[nxt]) and nxt - 1 in chosen
        )
        matches = weights[nxt] >= 0.6 * weights[best] > 0
        if not (introduces or matches) or size + len(parts[nxt]) > ANSWER_MAX_CHARS:
            break
        chosen.append(nxt)
        size += len(parts[nxt]) + 1
    return _with_heading(passage, "\n".join(parts[i] for i in chosen))


def _is_item(sentence: str) -> bool:
    return sentence.startswith(("- ", "* ", "• ")) or sentence[:3].rstrip(".)").isdigit()


def _with_heading(passage: Passage, body: str) -> str:
    heading = passage.heading.split(" > ")[-1] if passage.heading else ""
    if heading and not body.startswith(("*", heading)):
        return f"*{heading}*\n{body}"
    return body


def search_tool_result(
    session: Session, bot_id: int, query: str, numbered: dict[int, Source] | None = None
) -> dict[str, Any]:
    """What the `search_knowledge` tool returns to the OpenAI engine: numbered sources and the
    passages that cite them, and how to cite, as plain JSON-able data.

    `numbered` is the turn's sources so far by number: a source already there keeps its
    number, a new one takes the next and is added, so that several searches in one turn cite
    consistently and the engine knows which document each [n] of the answer names."""
    numbered = {} if numbered is None else numbered
    passages = [p for p in search(session, bot_id, query, limit=5) if p.score >= TOOL_THRESHOLD]
    if not passages:
        return {
            "query": query,
            "found": False,
            "sources": [],
            "passages": [],
            "instructions": "The shop's documents do not answer this. Say you don't know and "
            "offer to hand the chat to a person; do not guess.",
        }
    numbers = {source.document_id: n for n, source in numbered.items()}
    sources: list[dict[str, Any]] = []
    for passage in passages:
        document = passage.source.document_id
        if document not in numbers:
            numbers[document] = max(numbered, default=0) + 1
            numbered[numbers[document]] = passage.source
        if all(s["n"] != numbers[document] for s in sources):
            sources.append(
                {"n": numbers[document], "title": passage.source.title, "url": passage.source.url}
            )
    return {
        "query": query,
        "found": True,
        "sources": sources,
        "passages": [
            {
                "source": numbers[p.source.document_id],
                "heading": p.heading,
                "text": p.text,
                "score": round(p.score, 3),
            }
            for p in passages
        ],
        "sources_footer": format_sources([p.source for p in passages]),
        "instructions": "Answer only from these passages. Cite them as [n] by source number "
        "and end with a short *Sources* footer listing only the sources you cited "
        f"(at most {MAX_SOURCES}): `[n] title — link`.",
    }
