"""Answers from the shop's own documents: ingestion (Markdown, plain text, HTML, PDF), chunking,
full-text search per bot on SQLite and PostgreSQL, citations, and 👍/👎 feedback.

What the engines use:
- `find_answer` (offline engine): the best passage trimmed to the point with its source, or None;
- `search_tool_result` (OpenAI engine's `search_knowledge` tool) and `format_sources`;
- `feedback_buttons` / `feedback.offer_feedback` after an answer; the taps are routed by
  `snakecakes.knowledge.feedback_routes` (registered by the routing table).
"""

from snakecakes.knowledge.answers import (
    KnowledgeAnswer,
    find_answer,
    format_sources,
    search_tool_result,
)
from snakecakes.knowledge.feedback import feedback_buttons, offer_feedback
from snakecakes.knowledge.ingest import IngestError
from snakecakes.knowledge.search import Passage, Source, search
from snakecakes.knowledge.store import (
    add_document,
    add_path,
    list_documents,
    load_default_documents,
    remove_document,
)

__all__ = [
    "IngestError",
    "KnowledgeAnswer",
    "Passage",
    "Source",
    "add_document",
    "add_path",
    "feedback_buttons",
    "find_answer",
    "format_sources",
    "list_documents",
    "load_default_documents",
    "offer_feedback",
    "remove_document",
    "search",
    "search_tool_result",
]
