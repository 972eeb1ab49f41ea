"""Commands in the customer's words. Matching is on the whole message, normalised, so "menu"
is a command and "what is on the menu today?" is a question for the engine."""

from __future__ import annotations

import re
import unicodedata

COMMANDS: dict[str, frozenset[str]] = {
    "menu": frozenset({"menu", "menü", "the menu", "show menu", "cakes", "speisekarte", "carta"}),
    "start_over": frozenset(
        {"start over", "restart", "reset", "new order", "start again", "neu starten", "von vorne"}
    ),
    "help": frozenset({"help", "hilfe", "ayuda", "?", "what can you do"}),
    "human": frozenset(
        {
            "human",
            "agent",
            "person",
            "a human",
            "talk to a human",
            "real person",
            "staff",
            "mensch",
            "mitarbeiter",
        }
    ),
}


def normalise(text: str) -> str:
    """Case, width and punctuation folded away ("Hilfe?" is "hilfe"); a lone "?" stays."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    words = re.sub(r"[!?.,;:¡¿\"'()]+", " ", text)
    return re.sub(r"\s+", " ", words).strip() or text


def command_of(text: str | None) -> str | None:
    if not text or len(text) > 40:
        return None
    words = normalise(text)
    for name, spellings in COMMANDS.items():
        if words in spellings:
            return name
    return None
