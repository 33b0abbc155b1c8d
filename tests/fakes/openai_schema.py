"""Request bodies checked against OpenAI's official OpenAPI schemas (openai_schemas.json).

openai_schemas.json holds the request schemas the fake checks and what they `$ref`, extracted
from OpenAI's MIT-licensed OpenAPI document by extract_openai_schemas.py (see README.md here).
The document is OpenAPI 3.1 (JSON Schema 2020-12) but still marks many fields with the 3.0
keyword `nullable: true`, which a 2020-12 validator ignores; each such schema is rewritten to
"this or null" before use, or legal nulls would be reported as errors. `$ref`s are resolved
against the whole file. On top of the schema, top-level fields the schema does not name
are reported too: the schema allows them, but a misspelt parameter is a bug in our client.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMAS_FILE = Path(__file__).with_name("openai_schemas.json")
_DOCUMENT_URI = "urn:openai-openapi"


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


class RequestValidator:
    """Validates request bodies against one schema of `components.schemas`."""

    def __init__(self, document: dict[str, Any], registry: Registry, schema_name: str) -> None:
        self.schema_name = schema_name
        pointer = f"{_DOCUMENT_URI}#/components/schemas/{schema_name}"
        self._validator = Draft202012Validator({"$ref": pointer}, registry=registry)
        self._known_fields = frozenset(_property_names(document, {"$ref": pointer}))

    def errors(self, body: Any) -> list[str]:
        """Every way `body` breaks the schema (empty when it is valid)."""
        problems = [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<body>'}: {error.message[:300]}"
            for error in self._validator.iter_errors(body)
        ]
        if isinstance(body, dict):
            problems += [
                f"{name}: not a field of {self.schema_name}"
                for name in sorted(set(body) - self._known_fields)
            ]
        return problems


def _property_names(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    """Top-level property names of `schema`, following $ref and allOf."""
    if "$ref" in schema:
        path = schema["$ref"].split("#/", 1)[1].split("/")
        target: Any = document
        for part in path:
            target = target[part]
        yield from _property_names(document, target)
    yield from schema.get("properties", {})
    for part in schema.get("allOf", ()):
        yield from _property_names(document, part)


@functools.cache
def validator(schema_name: str) -> RequestValidator:
    """A (cached) validator for one request schema, e.g. "CreateChatCompletionRequest"."""
    return RequestValidator(*_document_and_registry(), schema_name)


@functools.cache
def _document_and_registry() -> tuple[dict[str, Any], Registry]:
    document = _with_nullable_as_null(json.loads(SCHEMAS_FILE.read_text(encoding="utf-8")))
    registry = Registry().with_resource(_DOCUMENT_URI, DRAFT202012.create_resource(document))
    return document, registry
