"""Markdown, plain text, HTML and PDF turned into one shape: a title, an optional URL, and
sections (the headings above, the paragraphs below).

Every format goes through the Markdown reader in the end (HTML and PDF are first rewritten into
Markdown-like lines), so headings, lists and paragraphs are cut the same way whatever the source.
Markdown may start with a front matter block (`title:`, `url:`) naming how answers cite it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
CONTENT_TYPES = {
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
    "text/html": "html",
    "application/pdf": "pdf",
}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FRONT = re.compile(r"^---\s*\n(.*?)\n---\s*(?:\n|$)", re.S)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


class IngestError(ValueError):
    """A document we cannot read; the message says why, for the person adding it."""


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    url: str | None
    kind: str
    sections: tuple[Section, ...]


def kind_of(name: str, content_type: str | None = None) -> str:
    """The format, from the file name's extension, else the Content-Type."""
    kind = KINDS.get(Path(name).suffix.lower())
    if kind is None and content_type:
        kind = CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
    if kind is None:
        raise IngestError(f"{name}: unknown format; use Markdown, plain text, HTML or PDF")
    return kind


def parse(data: bytes, kind: str, name: str) -> ParsedDocument:
    """Read a document of a known kind; `name` (a file name or URL) gives a fallback title."""
    fallback = Path(name.rstrip("/")).stem.replace("-", " ").replace("_", " ").strip() or name
    if kind == "pdf":
        title, text = _pdf_text(data, name)
        return _markdown(_plain_to_markdown(text), "pdf", fallback, title)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if kind == "markdown":
        return _markdown(text, kind, fallback)
    if kind == "html":
        reader = _HtmlReader()
        reader.feed(text)
        reader.close()
        return _markdown("\n".join(reader.lines), kind, reader.title or fallback)
    if kind == "text":
        return _markdown(_plain_to_markdown(text), kind, fallback)
    raise IngestError(f"{name}: unknown format {kind!r}")


def _markdown(
    text: str, kind: str, fallback_title: str, known_title: str | None = None
) -> ParsedDocument:
    meta: dict[str, str] = {}
    front = _FRONT.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[front.end() :]
    title = meta.get("title") or known_title  # else the first H1
    path: list[str] = []
    sections: list[Section] = []
    paragraphs: list[str] = []
    block: list[str] = []

    def end_block() -> None:
        if block:
            paragraphs.append("\n".join(block))
            block.clear()

    def end_section() -> None:
        end_block()
        if paragraphs:
            sections.append(Section(tuple(path), tuple(paragraphs)))
            paragraphs.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        heading = _HEADING.match(line)
        if heading:
            end_section()
            level, name = len(heading.group(1)), _inline(heading.group(2))
            if level == 1 and title is None:
                title = name
                continue
            del path[max(0, level - 2) :]
            path.append(name)
        elif not line.strip():
            end_block()
        elif block and not _LIST_ITEM.match(line):
            block[-1] = f"{block[-1]} {_inline(line.strip())}"  # a soft-wrapped line goes on
        else:
            block.append(_inline(line.strip()))
    end_section()
    if not sections:
        raise IngestError("the document has no text")
    return ParsedDocument(title or fallback_title, meta.get("url") or None, kind, tuple(sections))


def _inline(text: str) -> str:
    """Markdown links become their text; emphasis stays (WhatsApp shows *bold* and _italic_)."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)", r"\1 (\2)", text)
    return text.replace("**", "*").replace("__", "_")


def _plain_to_markdown(text: str) -> str:
    """Plain text and PDF text have no markup: a short line on its own, without final
    punctuation, before more text, is taken as a heading (`===`/`---` underlines too), and
    such a line at the very top as the title."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        following = next((rest.strip() for rest in lines[i + 1 :] if rest.strip()), "")
        stripped = line.strip()
        if re.fullmatch(r"[=\-]{3,}", stripped):
            continue
        underlined = bool(stripped) and re.fullmatch(r"[=\-]{3,}", nxt) is not None
        if underlined or _looks_like_heading(stripped, out, following):
            first = not any(line.strip() for line in out)  # the first line names the document
            out += ["", f"{'#' if first else '##'} {stripped}", ""]
        else:
            out.append(line)
    return "\n".join(out)


def _looks_like_heading(line: str, before: list[str], nxt: str) -> bool:
    if not line or not nxt or len(line) > 60 or len(line.split()) > 8:
        return False
    if line[-1] in ".,;:!?)" or _LIST_ITEM.match(line) or not line[0].isupper():
        return False
    previous = next((line.strip() for line in reversed(before) if line.strip()), "")
    return not previous or previous.startswith("#") or previous[-1] in ".!?:"


def _pdf_text(data: bytes, name: str) -> tuple[str | None, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IngestError(f"{name}: not a readable PDF ({exc})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        raise IngestError(f"{name}: the PDF has no extractable text (a scan?)")
    return (str(title).strip() or None) if title else None, text


class _HtmlReader(HTMLParser):
    """Headings, paragraphs and list items of a page, as Markdown lines; no script or menus."""

    SKIP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template"})
    BLOCKS = frozenset({"p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "dd"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.title: str | None = None
        self._text: list[str] = []
        self._prefix = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            self._flush()
            self._prefix = "- "
        elif tag in self.BLOCKS or tag in ("td", "th"):
            self._flush(blank=tag not in ("br", "td", "th"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag in self.BLOCKS or tag == "li":
            self._flush(blank=tag != "li")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = ((self.title or "") + data).strip() or None
        elif not self._skip:
            self._text.append(data)

    def _flush(self, blank: bool = True) -> None:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        self._text.clear()
        if text:
            if self._prefix.startswith("#"):
                self.lines += ["", self._prefix + text, ""]
            else:
                self.lines.append(self._prefix + text)
        if blank:
            self.lines.append("")
        self._prefix = ""

    def close(self) -> None:
        super().close()
        self._flush()
