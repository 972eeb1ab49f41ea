"""Markdown, as LLMs write it, turned into WhatsApp's own text syntax; and splitting long texts.

WhatsApp renders ``*bold*``, ``_italic_``, ``~strike~`` and backtick code, but shows Markdown's
``**bold**``, ``# headings``, ``[links](url)`` and tables as literal clutter. ``to_whatsapp``
rewrites those while leaving alone what must not change: code spans and fenced blocks, URLs
(``https://x.org/a_b_c``), snake_case words and arithmetic such as ``2*3*4``. It expects Markdown
input and is not idempotent (Markdown ``*x*`` is italic, so a second pass turns bold into italic).

``split_text`` cuts an answer longer than a text message allows (4096 characters) at the most
natural boundary available: paragraph, line, sentence, word, and only then mid-word.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

# Private-use characters: placeholders for protected text and for the emphasis markers we emit,
# so later passes neither rewrite them nor mistake them for Markdown.
_P_OPEN, _P_CLOSE, _BOLD, _ITALIC = "\ue000", "\ue001", "\ue002", "\ue003"
_PRIVATE = re.compile("[\ue000-\ue003]")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(?:\[([ xX])\]\s+)?(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,9})([.)])\s+(.*)$")
_QUOTE = re.compile(r"^(\s{0,3}(?:>\s?)+)(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")

_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_URL_PART = r"[^\s<>()\[\]]*(?:\([^\s<>()]*\)[^\s<>()\[\]]*)*"
_IMAGE = re.compile(r"!\[([^\]]*)\]\((" + _URL_PART + r")(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"\[([^\]]+)\]\((" + _URL_PART + r")(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^\s<>]+)>")
_BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>]+")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

_BOLD_ITALIC = re.compile(r"(?<![\w*])\*\*\*(?![\s*])(.+?)(?<![\s*])\*\*\*(?![\w*])")
_BOLD_STARS = re.compile(r"(?<![\w*])\*\*(?![\s*])(.+?)(?<![\s*])\*\*(?![\w*])")
_BOLD_UNDER = re.compile(r"(?<![\w_])__(?![\s_])(.+?)(?<![\s_])__(?![\w_])")
_ITALIC_STARS = re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])")
_ITALIC_UNDER = re.compile(r"(?<![\w_])_(?![\s_])(.+?)(?<![\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?![\s~])(.+?)(?<![\s~])~~")


class _Inline:
    """Inline conversion of one line, with protected spans kept aside until the end."""

    def __init__(self) -> None:
        self.kept: list[str] = []

    def keep(self, text: str) -> str:
        self.kept.append(text)
        return f"{_P_OPEN}{len(self.kept) - 1}{_P_CLOSE}"

    def restore(self, text: str) -> str:
        pattern = re.compile(f"{_P_OPEN}(\\d+){_P_CLOSE}")
        while _P_OPEN in text:  # kept text may itself hold placeholders (a URL in link text)
            text = pattern.sub(lambda m: self.kept[int(m.group(1))], text)
        return text

    def convert(self, line: str, *, bold: str = "*") -> str:
        keep = self.keep
        line = _CODE_SPAN.sub(lambda m: keep(m.group(0)), line)
        line = _ESCAPE.sub(lambda m: keep(m.group(1)), line)
        line = _IMAGE.sub(lambda m: self._image(m.group(1), m.group(2)), line)
        line = _LINK.sub(lambda m: self._link(m.group(1), m.group(2)), line)
        line = _AUTOLINK.sub(lambda m: keep(m.group(1).removeprefix("mailto:")), line)
        line = _BARE_URL.sub(lambda m: self._bare_url(m.group(0)), line)
        line = _BOLD_ITALIC.sub(f"{_BOLD}{_ITALIC}\\1{_ITALIC}{_BOLD}", line)
        line = _BOLD_STARS.sub(f"{_BOLD}\\1{_BOLD}", line)
        line = _BOLD_UNDER.sub(f"{_BOLD}\\1{_BOLD}", line)
        line = _ITALIC_STARS.sub(f"{_ITALIC}\\1{_ITALIC}", line)
        line = _ITALIC_UNDER.sub(f"{_ITALIC}\\1{_ITALIC}", line)
        line = _STRIKE.sub("~\\1~", line)
        return self.restore(line.replace(_BOLD, bold).replace(_ITALIC, "_"))

    def _image(self, alt: str, url: str) -> str:
        return f"{alt.strip()}: {self.keep(url)}" if alt.strip() else self.keep(url)

    def _link(self, label: str, url: str) -> str:
        if not url or label.strip() in (url, url.removeprefix("mailto:")):
            return self.keep(url.removeprefix("mailto:") or label)
        return f"{label} ({self.keep(url.removeprefix('mailto:'))})"

    def _bare_url(self, url: str) -> str:
        # Sentence punctuation and an unbalanced ")" after a URL belong to the sentence.
        tail = ""
        while url and (
            url[-1] in ".,;:!?'\"*~" or (url[-1] == ")" and url.count("(") < url.count(")"))
        ):
            url, tail = url[:-1], url[-1] + tail
        return self.keep(url) + tail


def _inline(text: str, *, bold: str = "*") -> str:
    return _Inline().convert(text, bold=bold)


def _split_cells(row: str) -> list[str]:
    row = row.strip().removeprefix("|").removesuffix("|")
    cells = re.split(r"(?<!\\)\|", row)
    return [_inline(c.strip().replace("\\|", "|")) for c in cells]


def _table(lines: list[str]) -> list[str]:
    """Rows as "Header: value, Header: value" lines; a phone is too narrow for columns."""
    headers = _split_cells(lines[0])
    out = []
    for row in lines[2:]:
        cells = _split_cells(row)
        pairs = []
        for i, cell in enumerate(cells):
            header = headers[i] if i < len(headers) else ""
            if cell:
                pairs.append(f"{header}: {cell}" if header else cell)
        if pairs:
            out.append(", ".join(pairs))
    return out


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and "|" in lines[i]
        and "|" in lines[i + 1]
        and bool(_TABLE_RULE.match(lines[i + 1]))
    )


def _block_line(line: str) -> str | None:
    """One line outside code and tables; None drops the line (horizontal rules)."""
    if _RULE.match(line):
        return None
    if m := _HEADING.match(line):
        title = _inline(m.group(1), bold="").strip()  # "# **Menu**" must not give "**Menu**"
        return f"*{title}*" if title else ""
    if m := _BULLET.match(line):
        box = {" ": "☐ ", "x": "☑ ", "X": "☑ "}.get(m.group(2) or "", "")
        return f"{m.group(1)}- {box}{_inline(m.group(3))}"
    if m := _NUMBERED.match(line):
        return f"{m.group(1)}{m.group(2)}. {_inline(m.group(4))}"
    if m := _QUOTE.match(line):
        depth = m.group(1).count(">")
        return "> " * depth + _inline(m.group(2))
    return _inline(line)


def to_whatsapp(markdown: str) -> str:
    """Rewrite Markdown into WhatsApp formatting (see the module docstring for the rules)."""
    lines = _PRIVATE.sub("", markdown.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := _FENCE.match(line):
            fence = m.group(1)
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(fence):
                end += 1
            out.append("```\n" + "\n".join(lines[i + 1 : end]) + "\n```")
            i = end + 1
        elif _is_table_start(lines, i):
            end = i + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            out.extend(_table(lines[i:end]))
            i = end
        else:
            converted = _block_line(line.rstrip().removesuffix("\\"))
            if converted is not None:
                out.append(converted.rstrip())
            i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- splitting -------------------------------------------------------------------------------

_FENCE_BLOCK = re.compile(r"^```.*?^```[^\n]*$", re.S | re.M)


def _pieces(text: str, pattern: str) -> list[str]:
    """``text`` cut after each match of ``pattern``; the pieces concatenate back to ``text``."""
    cuts = [m.end() for m in re.finditer(pattern, text)]
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _blocks(text: str) -> list[str]:
    """Paragraph pieces, with each fenced code block kept whole as one piece."""
    out: list[str] = []
    pos = 0
    for m in _FENCE_BLOCK.finditer(text):
        out.extend(_pieces(text[pos : m.start()], r"\n\s*\n\s*"))
        end = m.end()
        while end < len(text) and text[end] == "\n":
            end += 1
        out.append(text[m.start() : end])
        pos = end
    out.extend(_pieces(text[pos:], r"\n\s*\n\s*"))
    return out


def _split_fence(block: str, limit: int) -> list[str]:
    """A code block too long for one message, cut between lines and re-fenced in each part."""
    inner = block.strip()[3:].removesuffix("```").strip("\n")
    room = limit - len("```\n\n```")
    if room < 1:
        return _split(inner, limit, 1)
    return [f"```\n{part}\n```" for part in _split(inner, room, 1, strip=False)]


_LEVELS: list[Callable[[str], list[str]]] = [
    _blocks,
    lambda t: _pieces(t, r"\n+"),
    lambda t: _pieces(t, r"[.!?…][\"')\]]?\s+"),
    lambda t: _pieces(t, r"\s+"),
]


def _split(text: str, limit: int, level: int, *, strip: bool = True) -> list[str]:
    def clean(part: str) -> str:
        return part.strip() if strip else part.strip("\n")

    if len(clean(text)) <= limit:
        return [clean(text)] if clean(text).strip() else []
    if level == len(_LEVELS):
        text = clean(text)
        return [p for p in (text[i : i + limit] for i in range(0, len(text), limit)) if p.strip()]
    parts: list[str] = []
    current = ""
    for piece in _LEVELS[level](text):
        if len(clean(current + piece)) <= limit:
            current += piece
            continue
        if clean(current).strip():
            parts.append(clean(current))
        current = ""
        if len(clean(piece)) <= limit:
            current = piece
        elif level == 0 and _FENCE_BLOCK.fullmatch(piece.strip()):
            parts.extend(_split_fence(piece, limit))
        else:
            parts.extend(_split(piece, limit, level + 1, strip=strip))
    if clean(current).strip():
        parts.append(clean(current))
    return parts


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Parts of at most ``limit`` characters, none empty, cut at the most natural boundary.

    Boundaries in order of preference: blank lines (never inside a fenced code block unless the
    block alone is too long, and then each part is re-fenced), line breaks, sentence ends, white
    space, and finally a hard cut. Blank input gives no parts.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, not {limit}")
    return _split(text, limit, 0)
