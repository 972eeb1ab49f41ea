"""Meta's ``Message`` request schema, extracted from the vendored OpenAPI file and patched.

Why extract: the OpenAPI file is 1 MB and takes ~0.4 s to parse, but the send operation needs
only 31 of its 370 schemas. We parse once per process, keep the ``Message`` closure, inline its
``$ref``s (there are no cycles) and split it into one flat schema per message ``type``: a
validator that knows the type up front gives precise error paths instead of "is not valid under
any of the given schemas" from an 11-way ``oneOf``, and is several times faster.

Why patch: the file has gaps and slips against Meta's own documentation. Every change lives in
:mod:`snakecakes.simulator.openapi_overlay` (the vendored YAML stays byte-identical) and is
listed in ``openapi/README.md``.

Keys of the result: each message ``type`` ("text", "image", ...) and, for interactive messages,
"interactive/<interactive type>" ("interactive/button", ...); plain "interactive" is the general
schema, used to report an unknown or missing interactive type.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import yaml

from snakecakes.simulator import openapi_overlay as overlay

SPEC_PATH = Path(__file__).parent / "openapi" / "business-messaging-api_v23.0.yaml"
_REF_PREFIX = "#/components/schemas/"
_ANNOTATIONS = frozenset({"description", "example", "examples", "default", "title"})
# Never validated: annotations, the OpenAPI-only discriminator, and format (no format checker).
_SKIP = frozenset({"$ref", "discriminator", "format", "example", "examples", "default", "title"})

Schema = dict[str, Any]

_lock = threading.Lock()
_cache: tuple[dict[str, Schema], Schema] | None = None


def send_schemas() -> tuple[dict[str, Schema], Schema]:
    """``(schema per message kind, mark-as-read schema)``, built once per process, thread-safe."""
    global _cache
    with _lock:
        if _cache is None:
            _cache = _build(_load_components(SPEC_PATH))
        return _cache


def _load_components(path: Path) -> dict[str, Schema]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as f:
        spec = yaml.load(f, Loader=loader)  # a safe loader either way
    schemas: dict[str, Schema] = spec["components"]["schemas"]
    return schemas


def _build(components: dict[str, Schema]) -> tuple[dict[str, Schema], Schema]:
    s = {name: copy.deepcopy(components[name]) for name in _closure(components, "Message")}
    interactive_variants = overlay.patch(s)
    kinds: dict[str, Schema] = {}
    for type_name, ref in s["Message"]["discriminator"]["mapping"].items():
        kinds[type_name] = _inline(_flatten(s, ref.removeprefix(_REF_PREFIX)), s)
    general = kinds["interactive"]
    for interactive_type, variant in interactive_variants.items():
        props = {**general["properties"], "interactive": _inline(variant, s)}
        kinds[f"interactive/{interactive_type}"] = {**general, "properties": props}
    return kinds, overlay.mark_read_schema()


def _closure(components: dict[str, Schema], root: str) -> set[str]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(r.removeprefix(_REF_PREFIX) for r in _refs(components[name]))
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for k, v in node.items() if k != "$ref" for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _flatten(s: dict[str, Schema], name: str) -> Schema:
    """Merge ``allOf: [BaseMessageProperties, Specific]`` into one object schema.

    Needed for correctness, not only speed: each ``Specific`` part says
    ``additionalProperties: false`` while the common fields (``to``, ``messaging_product``...)
    live in the other ``allOf`` part, so the file as written rejects every real message.
    """
    base, specific = (
        part if "$ref" not in part else s[part["$ref"].removeprefix(_REF_PREFIX)]
        for part in s[name]["allOf"]
    )
    flat: Schema = {"type": "object", **{k: v for k, v in base.items() if k not in _ANNOTATIONS}}
    flat["properties"] = {**base["properties"], **specific["properties"]}
    flat["required"] = [*base.get("required", []), *specific.get("required", [])]
    if "additionalProperties" in specific:
        flat["additionalProperties"] = specific["additionalProperties"]
    return flat


def _inline(node: Any, s: dict[str, Schema]) -> Any:
    """Replace every ``$ref`` with (a copy of) its target and drop annotations.

    Annotations cost a lookup per keyword per validation and say nothing to a validator; a
    ``description`` is kept only beside ``anyOf``/``oneOf``, where it makes a readable error.
    """
    if isinstance(node, list):
        return [_inline(v, s) for v in node]
    if not isinstance(node, dict):
        return node
    keep_description = "anyOf" in node or "oneOf" in node
    out = {
        k: ({name: _inline(v, s) for name, v in v.items()} if k == "properties" else _inline(v, s))
        for k, v in node.items()
        if k not in _SKIP and (k != "description" or keep_description)
    }
    if "$ref" in node:
        target = _inline(s[node["$ref"].removeprefix(_REF_PREFIX)], s)
        out = target if not out else {"allOf": [target, out]}
    return out
