"""Sections cut into passages small enough to answer one question, each keeping its headings.

Why these sizes: a WhatsApp answer should be a few sentences, and a passage that mixes two
topics ranks for both and answers neither. So a passage never crosses a heading, holds whole
paragraphs up to ~700 characters, and a long paragraph is cut between sentences. The last
sentence of a passage is repeated at the start of the next one of the same section (the
overlap), so a fact that spans the cut is still found whole in one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from snakecakes.knowledge.ingest import ParsedDocument

MAX_CHARS = 700
OVERLAP_MAX_CHARS = 200
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(*_]?[A-Z0-9ÄÖÜ])")


@dataclass(frozen=True)
class Chunk:
    position: int
    heading: str  # "Delivery zones > Inner city": the headings above, without the title
    text: str


def sentences(text: str) -> list[str]:
    """Sentences and list lines of a passage, in order (lines are kept as units)."""
    out: list[str] = []
    for line in text.split("\n"):
        if _ITEM.match(line):
            out.append(line.strip())
        else:
            out.extend(part.strip() for part in _SENTENCE_END.split(line) if part.strip())
    return out


def chunk_document(document: ParsedDocument) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in document.sections:
        headings = [h for h in section.headings if h != document.title]
        heading = " > ".join(headings)
        for text in _pack(section.paragraphs):
            chunks.append(Chunk(len(chunks), heading, text))
    return chunks


def _pack(paragraphs: tuple[str, ...]) -> list[str]:
    pieces: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= MAX_CHARS:
            pieces.append(paragraph)
        else:
            pieces.extend(_split_long(paragraph))
    out: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > MAX_CHARS:
            out.append(current)
            tail = sentences(current)[-1]
            current = tail if len(tail) <= OVERLAP_MAX_CHARS and tail != piece else ""
        current = f"{current}\n{piece}" if current else piece
    if current:
        out.append(current)
    return out


def _split_long(paragraph: str) -> list[str]:
    """A paragraph over MAX_CHARS: its lines (list items) stay whole where they fit, and are
    joined by newlines; a long line is cut between sentences, and only then at a space."""
    units: list[tuple[str, str]] = []  # (text, the separator that joins it to what precedes)
    for line in paragraph.split("\n"):
        if len(line) <= MAX_CHARS:
            units.append((line, "\n"))
            continue
        for i, sentence in enumerate(_SENTENCE_END.split(line)):
            while len(sentence) > MAX_CHARS:  # no sentence end in sight: cut at a space
                cut = sentence.rfind(" ", 0, MAX_CHARS)
                cut = cut if cut > 0 else MAX_CHARS
                units.append((sentence[:cut], " "))
                sentence = sentence[cut:].strip()
            units.append((sentence, " " if i else "\n"))
    parts: list[str] = []
    current = ""
    for unit, separator in units:
        if current and len(current) + 1 + len(unit) > MAX_CHARS:
            parts.append(current)
            current = ""
        current = f"{current}{separator}{unit}" if current else unit
    if current:
        parts.append(current)
    return parts
