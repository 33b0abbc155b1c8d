"""What the OpenAI and Discord fakes share to check requests against a vendor's OpenAPI document.

Both ship a small extract of the vendor's document (only what the fake checks, with every
schema it reaches through `$ref`) and validate with `jsonschema` against that extract:
- `referenced_schemas` picks the schemas for the extract (the extraction scripts);
- `load_document` reads an extract into a document plus a `referencing` registry, rewriting the
  OpenAPI 3.0 keyword `nullable: true` (which a 2020-12 validator ignores) to "this or null";
- `property_names` lists the top-level fields a schema names, so a fake can also report the
  fields a client sent that the schema does not know (allowed by it, but a misspelt field is a
  bug in our client).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMA_PREFIX = "#/components/schemas/"


def referenced_schemas(schemas: dict[str, Any], roots: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """`roots` and every schema they reach through `$ref`, by name."""
    kept: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in kept:
            continue
        kept[name] = schemas[name]
        pending += schema_refs(schemas[name])
    return dict(sorted(kept.items()))


def schema_refs(node: Any) -> list[str]:
    """The names of the schemas `node` refers to (`$ref: #/components/schemas/NAME`)."""
    if isinstance(node, list):
        return [name for item in node for name in schema_refs(item)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key == "$ref":
            if not value.startswith(SCHEMA_PREFIX):
                raise ValueError(f"unexpected $ref {value!r}")
            found.append(value.removeprefix(SCHEMA_PREFIX))
        else:
            found += schema_refs(value)
    return found


def write_extract(path: Path, extract: dict[str, Any]) -> None:
    path.write_text(json.dumps(extract, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _with_nullable_as_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_with_nullable_as_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _with_nullable_as_null(value) for key, value in node.items()}
    if converted.get("nullable") is True:
        del converted["nullable"]
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def load_document(path: Path, uri: str) -> tuple[dict[str, Any], Registry]:
    """An extract, with `nullable` rewritten, and a registry where `uri` names it."""
    document = _with_nullable_as_null(json.loads(path.read_text(encoding="utf-8")))
    return document, Registry().with_resource(uri, DRAFT202012.create_resource(document))


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` itself, or what its local `$ref` points to."""
    while "$ref" in schema:  # "#/components/…" or "urn:…#/components/…"
        target: Any = document
        for part in schema["$ref"].split("#/", 1)[1].split("/"):
            target = target[part]
        schema = target
    return schema


def property_names(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    """Top-level property names of `schema`, following $ref, allOf and the branches of
    anyOf/oneOf (a field any branch names is known)."""
    schema = resolve(document, schema)
    yield from schema.get("properties", {})
    for keyword in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(keyword, ()):
            yield from property_names(document, part)


def error_path(error: ValidationError) -> list[str]:
    """Where in the body `error` is, as the keys and indexes leading to it."""
    return [str(part) for part in error.absolute_path]
