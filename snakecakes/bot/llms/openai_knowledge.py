"""The OpenAI engine's answers from the shop's documents: the `search_knowledge` tool, and the
citations of its answer.

The tool returns numbered sources and passages (knowledge.search_tool_result), numbered across
the turn, so that two searches in one turn never give two documents the same [n]. The model
cites them as [1], [2]; the engine, not the model, writes the *Sources* footer: only for the
numbers the answer actually cites (renumbered 1, 2, ... in the order they first appear), at
most MAX_SOURCES, and a number no search gave is dropped. Why not let the model write it: it
forgets the footer, lists what it did not cite, or invents a link; the shop's titles and links
are known here. An answer that cites a source is a knowledge answer: it gets the 👍/👎 buttons,
and the answer row is recorded with the turn's commit (knowledge.offer_feedback).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from snakecakes.bot.llms import openai_tools
from snakecakes.bot.llms.base import EngineReply, TurnContext
from snakecakes.bot.whatsapp import formatting
from snakecakes.knowledge.answers import (
    MAX_SOURCES,
    KnowledgeAnswer,
    format_sources,
    search_tool_result,
)
from snakecakes.knowledge.feedback import offer_feedback
from snakecakes.knowledge.search import Source

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Answer only from these passages, in the customer's language. Put the source number in "
    "brackets after each fact you take from it, like [1] or [1][2]. Do not write a list of "
    "sources or links: the shop adds them below your answer."
)
_DROPPED = "\ue010"  # a private-use character marking a citation removed
_MARKER = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\](?!\()")
# a sources list the model wrote anyway: a "Sources" line and only list-like lines after it
_FOOTER = re.compile(
    r"\n[ \t]*[*_]{0,2}(?:sources?|quellen?|fuentes?)[*_]{0,2}:?[*_]{0,2}[ \t]*"
    r"(?:\n[ \t]*(?:\[\d+\]|[-*•]|\d+[.)]).*)*\s*\Z",
    re.IGNORECASE,
)


@dataclass
class Citations:
    """One turn's searches: the sources by the number the model was given."""

    numbered: dict[int, Source] = field(default_factory=dict)

    def search(self, ctx: TurnContext, raw_arguments: str | None) -> dict[str, Any]:
        """Run one `search_knowledge` call; every problem is a result for the model."""
        args = openai_tools.validate(openai_tools.SearchKnowledge, raw_arguments)
        if isinstance(args, dict):
            return args
        db = getattr(ctx.shop, "db", None)
        if db is None:
            return {"ok": False, "message": "The shop's documents are not available here."}
        try:
            with db.read() as session:
                result = search_tool_result(session, ctx.bot_id, args.query, self.numbered)
        except Exception:  # a search hiccup: the model can still answer or hand over
            log.exception("chat %s: knowledge search failed", ctx.chat.customer_key)
            return {"ok": False, "message": "The shop's documents could not be searched now."}
        result.pop("sources_footer", None)  # numbered per search; the engine writes the footer
        if result["found"]:
            result["instructions"] = INSTRUCTIONS
        return {"ok": True, **result}

    def cite(self, text: str) -> tuple[str, list[Source]]:
        """The answer with its [n] renumbered to the footer's order (unknown numbers and those
        past MAX_SOURCES dropped), and the sources it cites."""
        text = _FOOTER.sub("", text).rstrip()  # even unsearched: copied from the history
        cited: list[Source] = []
        renumber: dict[int, int] = {}

        def replace(match: re.Match[str]) -> str:
            kept = []
            for part in match.group(1).split(","):
                source = self.numbered.get(int(part))
                if source is None:
                    continue
                if int(part) not in renumber:
                    if len(cited) >= MAX_SOURCES:
                        continue
                    cited.append(source)
                    renumber[int(part)] = len(cited)
                if renumber[int(part)] not in kept:
                    kept.append(renumber[int(part)])
            return "".join(f"[{n}]" for n in kept) or _DROPPED

        text = re.sub(f"[ \t]*{_DROPPED}", "", _MARKER.sub(replace, text))
        return text, cited


def answer(
    ctx: TurnContext, reply: EngineReply, text: str, citations: Citations, question: str
) -> None:
    """Say the model's answer; with a *Sources* footer and the feedback buttons when it cites
    the shop's documents."""
    text, cited = citations.cite(text)
    if not cited:
        reply.say(ctx, text)
        return
    said = f"{formatting.to_whatsapp(text)}\n\n{format_sources(cited)}"
    reply.say_as_is(ctx, said)
    offer_feedback(ctx, reply, KnowledgeAnswer(said, tuple(cited), question[:2000]))
