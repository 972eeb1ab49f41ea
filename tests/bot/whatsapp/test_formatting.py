"""Markdown to WhatsApp formatting, and splitting long answers into sendable parts."""

from __future__ import annotations

import random

import pytest

from snakecakes.bot.whatsapp.formatting import split_text, to_whatsapp


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and __bold__", "*bold* and *bold*"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("***both*** here", "*_both_* here"),
        ("~~gone~~ but ~kept~", "~gone~ but ~kept~"),
        ("**bold with *italic* inside**", "*bold with _italic_ inside*"),
        ("# Our cakes", "*Our cakes*"),
        ("### **Already bold** heading ###", "*Already bold heading*"),
        ("[our shop](https://example.com/shop)", "our shop (https://example.com/shop)"),
        ("[https://x.org](https://x.org)", "https://x.org"),
        ("[mail us](mailto:a@b.org)", "mail us (a@b.org)"),
        ("![A cake](https://img.example/cake.png)", "A cake: https://img.example/cake.png"),
        ("![](https://img.example/cake.png)", "https://img.example/cake.png"),
        ("<https://auto.link/a_b>", "https://auto.link/a_b"),
        (
            "[wiki](https://en.wikipedia.org/wiki/Cake_(food))",
            "wiki (https://en.wikipedia.org/wiki/Cake_(food))",
        ),
        ("- one\n* two\n+ three", "- one\n- two\n- three"),
        ("- [ ] todo\n- [x] done", "- ☐ todo\n- ☑ done"),
        ("- top\n  - nested **item**", "- top\n  - nested *item*"),
        ("1. one\n2) two", "1. one\n2. two"),
        ("> a **quote**", "> a *quote*"),
        ("above\n\n---\n\nbelow", "above\n\nbelow"),
        ("above\n\n***\n\nbelow", "above\n\nbelow"),
        ("line one  \nline two\\", "line one\nline two"),
        ("escaped \\_underscores\\_ stay", "escaped _underscores_ stay"),
        ("a\n\n\n\n\nb", "a\n\nb"),
    ],
)
def test_markdown_to_whatsapp(markdown: str, expected: str) -> None:
    assert to_whatsapp(markdown) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Use `snake_case_var` or `**kwargs` as is",
        "my_var_name and __init__py and some_func_()",
        "2*3*4 = 24 and 2 * 3 * 4 = 24 and 2**10 = 1024",
        "https://example.com/path_with_under_scores_and*stars*",
        "see https://example.com/a_b_c.",
        "www.example.com/some_page_here",
        "write to first_last@example.com",
        "a lone * star and a lone _ underscore",
        "price ~5 euros",
        "``code with ` backtick``",
    ],
)
def test_things_that_must_not_be_mangled(text: str) -> None:
    assert to_whatsapp(text) == text


def test_link_with_underscores_and_stars_in_url() -> None:
    out = to_whatsapp("Go to [the *menu*](https://x.org/a_b_c?q=1*2*3&r=_x_)")
    assert out == "Go to the _menu_ (https://x.org/a_b_c?q=1*2*3&r=_x_)"


def test_code_fences_keep_their_content() -> None:
    md = (
        "Before\n```python\ndef f(a_b, c):\n    return a_b*c  # **not bold**\n\n# no heading\n```\n"
        "After **x**"
    )
    assert to_whatsapp(md) == (
        "Before\n```\ndef f(a_b, c):\n    return a_b*c  # **not bold**\n\n# no heading\n```\n"
        "After *x*"
    )


def test_tilde_fence_and_unclosed_fence() -> None:
    assert to_whatsapp("~~~\n**x**\n~~~") == "```\n**x**\n```"
    assert to_whatsapp("```\n- a\n| b |") == "```\n- a\n| b |\n```"


def test_tables_become_readable_lines() -> None:
    md = (
        "Our prices:\n\n"
        "| Cake | Price | Size |\n"
        "|:-----|------:|:----:|\n"
        "| **Chocolate** | $20 | 8 in |\n"
        "| Lemon \\| lime | $18 |  |\n"
        "\nEnjoy!"
    )
    assert to_whatsapp(md) == (
        "Our prices:\n\n"
        "Cake: *Chocolate*, Price: $20, Size: 8 in\n"
        "Cake: Lemon | lime, Price: $18\n\n"
        "Enjoy!"
    )


def test_table_without_outer_pipes() -> None:
    assert to_whatsapp("a | b\n--|--\n1 | 2") == "a: 1, b: 2"


def test_a_typical_llm_answer() -> None:
    md = (
        "## Birthday cakes\n\n"
        "Here are **three** options:\n\n"
        "1. **Chocolate fudge** - rich and *moist*\n"
        "2. **Lemon drizzle** - see [photos](https://example.com/lemon_drizzle)\n\n"
        "---\n\n"
        "> Order 2 days ahead.\n"
    )
    assert to_whatsapp(md) == (
        "*Birthday cakes*\n\n"
        "Here are *three* options:\n\n"
        "1. *Chocolate fudge* - rich and _moist_\n"
        "2. *Lemon drizzle* - see photos (https://example.com/lemon_drizzle)\n\n"
        "> Order 2 days ahead."
    )


def test_private_use_placeholder_characters_in_input_do_not_break_anything() -> None:
    assert to_whatsapp("a\ue000b\ue0011\ue001 **c**") == "ab1 *c*"


# --- split_text ------------------------------------------------------------------------------


def _answer(seed: int, size: int) -> str:
    """A long LLM-like answer: paragraphs of sentences, a list and a code block."""
    rng = random.Random(seed)
    words = "cake chocolate lemon sponge frosting order tomorrow birthday candles vanilla".split()
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < size:
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(4, 18))).capitalize() + "."
            for _ in range(rng.randint(1, 9))
        ]
        paragraphs.append(" ".join(sentences))
        if len(paragraphs) == 5:
            paragraphs.append("- " + "\n- ".join(words))
        if len(paragraphs) == 9:
            paragraphs.append("```\n" + "\n".join(f"x_{i} = {i}*2" for i in range(40)) + "\n```")
    return "\n\n".join(paragraphs)[:size]


def _check_parts(text: str, parts: list[str], limit: int) -> None:
    assert parts, "no parts"
    assert all(0 < len(p) <= limit for p in parts)
    assert all(p.strip() == p and p for p in parts)

    # Nothing lost or added except white space at the cuts (and fences around cut code).
    def squash(t: str) -> str:
        return "".join(t.replace("`", "").split())

    assert squash("".join(parts)) == squash(text)


def test_split_a_10000_character_answer() -> None:
    text = _answer(1, 10_000)
    assert len(text) == 10_000
    parts = split_text(text)
    _check_parts(text, parts, 4096)
    assert len(parts) == 3
    assert "```" in text
    for part in parts:
        assert part.count("```") % 2 == 0  # the code block was not cut
    for part in parts[:-1]:  # cut at a paragraph or sentence end, not mid-sentence
        assert part.endswith((".", "```")) or part.split("\n")[-1].startswith("- ")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("limit", [50, 200, 1000])
def test_split_respects_any_limit(seed: int, limit: int) -> None:
    text = _answer(seed, 6000)
    _check_parts(text, split_text(text, limit), limit)


def test_short_text_is_one_part_and_blank_text_none() -> None:
    assert split_text("  hello  ") == ["hello"]
    assert split_text("") == []
    assert split_text(" \n\n ") == []


def test_prefers_paragraphs_then_sentences_then_words() -> None:
    assert split_text("aaaa bbbb.\n\ncccc dddd.", 12) == ["aaaa bbbb.", "cccc dddd."]
    assert split_text("One two. Three four! Five six?", 20) == ["One two. Three four!", "Five six?"]
    assert split_text("alpha beta gamma delta", 11) == ["alpha beta", "gamma delta"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_code_block_is_kept_whole_when_it_fits() -> None:
    code = "```\n" + "\n".join(f"line {i}" for i in range(10)) + "\n```"
    text = "Intro sentence here.\n\n" + code + "\n\nOutro."
    parts = split_text(text, len(code) + 5)
    assert code in parts


def test_code_block_longer_than_the_limit_is_refenced_in_each_part() -> None:
    code = "```\n" + "\n".join(f"    line_{i} = {i}" for i in range(100)) + "\n```"
    parts = split_text(code, 300)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= 300
        assert part.startswith("```\n") and part.endswith("\n```")
        assert "\n    line_" in part  # indentation inside code survives


def test_split_rejects_a_silly_limit() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 0)
