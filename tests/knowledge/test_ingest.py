"""Each format goes in with its title, headings and text, and comes out searchable on both
databases."""

from __future__ import annotations

import itertools

import pytest

from snakecakes import knowledge
from snakecakes.db.database import Database
from snakecakes.knowledge.chunking import MAX_CHARS, chunk_document
from snakecakes.knowledge.ingest import IngestError, kind_of, parse
from tests.knowledge.conftest import make_pdf

MARKDOWN = b"""---
title: Party platters
url: https://shop.example/platters
---
# Platters for parties

Intro text about platters.

## Sizes

Platters come in **small** and large,
for 10 or 20 guests. See [the menu](https://shop.example/menu).

## Ordering

- Order three days ahead.
- Write to us on WhatsApp.
"""

HTML = b"""<!doctype html><html><head><title>Wedding tastings</title>
<style>body { color: red }</style><script>var tasting = "never indexed";</script></head>
<body><nav>Home | Shop | Login</nav>
<h1>Wedding tastings</h1>
<h2>Booking a tasting</h2><p>Tastings are on Thursdays&nbsp;at 4&nbsp;pm.</p>
<ul><li>Six flavours</li><li>Free for couples who order</li></ul>
</body></html>"""

TEXT = b"""Gift vouchers
=============

Vouchers can be bought in the shop and used for any cake.

Validity

A voucher is valid for three years from the date of purchase.
"""


def test_markdown_keeps_front_matter_headings_lists_and_joins_soft_wraps() -> None:
    doc = parse(MARKDOWN, "markdown", "platters.md")
    assert (doc.title, doc.url) == ("Party platters", "https://shop.example/platters")
    # the front matter named the title, so the H1 is a heading like any other
    assert [s.headings for s in doc.sections] == [
        ("Platters for parties",),
        ("Sizes",),
        ("Ordering",),
    ]
    assert doc.sections[1].paragraphs == (
        "Platters come in *small* and large, for 10 or 20 guests. See the menu "
        "(https://shop.example/menu).",
    )
    assert doc.sections[2].paragraphs == ("- Order three days ahead.\n- Write to us on WhatsApp.",)


def test_html_drops_scripts_and_menus_and_keeps_headings() -> None:
    doc = parse(HTML, "html", "tastings.html")
    assert doc.title == "Wedding tastings"
    assert [s.headings for s in doc.sections] == [("Booking a tasting",)]
    text = "\n".join(doc.sections[0].paragraphs)
    assert "Tastings are on Thursdays at 4 pm." in text
    assert "- Six flavours" in text and "- Free for couples who order" in text
    assert "never indexed" not in text and "Login" not in text


def test_plain_text_finds_underlined_and_short_headings() -> None:
    doc = parse(TEXT, "text", "vouchers.txt")
    assert doc.title == "Gift vouchers"  # the heading on the first line
    assert [s.headings for s in doc.sections] == [(), ("Validity",)]
    assert parse(b"Just one line of text.", "text", "notes.txt").title == "notes"


def test_pdf_text_title_from_metadata_and_headings() -> None:
    data = make_pdf(
        ["Party platters", "We also make party platters for offices.", "Ordering",
         "Order platters three days ahead, please."],
        title="Platters (2026)",
    )  # fmt: skip
    doc = parse(data, "pdf", "platters.pdf")
    assert doc.title == "Platters (2026)"
    assert [s.headings for s in doc.sections] == [("Party platters",), ("Ordering",)]
    untitled = parse(make_pdf(["Party platters", "We make them."]), "pdf", "p.pdf")
    assert untitled.title == "Party platters"
    with pytest.raises(IngestError, match="not a readable PDF"):
        parse(b"%PDF-1.4 garbage", "pdf", "broken.pdf")


def test_kind_from_extension_or_content_type() -> None:
    assert kind_of("a.MD") == "markdown" and kind_of("b.htm") == "html"
    assert kind_of("upload", "application/pdf") == "pdf"
    with pytest.raises(IngestError, match="unknown format"):
        kind_of("cake.docx")


def test_long_sections_are_cut_between_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {i} says something about cakes." for i in range(60)]
    doc = parse(("## Long\n\n" + " ".join(sentences)).encode(), "markdown", "long.md")
    chunks = chunk_document(doc)
    assert len(chunks) > 2
    assert all(len(c.text) <= MAX_CHARS + 200 and c.heading == "Long" for c in chunks)
    for before, after in itertools.pairwise(chunks):
        last_sentence = before.text.split(". ")[-1]
        assert after.text.startswith(last_sentence.rstrip(".")), "no overlap"
    assert all(s.rstrip(".") in "\n".join(c.text for c in chunks) for s in sentences)


@pytest.mark.parametrize(
    ("name", "data", "question", "expected"),
    [
        ("platters.md", MARKDOWN, "how many guests does a platter feed", "10 or 20 guests"),
        ("tastings.html", HTML, "when are wedding tastings", "Thursdays at 4 pm"),
        ("vouchers.txt", TEXT, "how long is a voucher valid", "three years"),
        ("platters.pdf", make_pdf(["Ordering", "Order platters three days ahead, please."]),
         "how far ahead should I order platters", "three days ahead"),
    ],
)  # fmt: skip
def test_each_format_is_searchable(
    db: Database, bots: tuple[int, int], name: str, data: bytes, question: str, expected: str
) -> None:
    with db.transaction() as session:
        result = knowledge.add_document(session, bots[0], data, source=name)
    assert result.status == "added" and result.document.chunks >= 1
    with db.read() as session:
        found = knowledge.search(session, bots[0], question)
    assert found and expected in found[0].text
    assert found[0].source.document_id == result.document.id
