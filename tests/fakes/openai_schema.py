"""Request bodies checked against OpenAI's official OpenAPI schemas (openai_schemas.json).

openai_schemas.json holds the request schemas the fake checks and what they `$ref`, extracted
from OpenAI's MIT-licensed OpenAPI document by extract_openai_schemas.py (see README.md here).
The document is OpenAPI 3.1 (JSON Schema 2020-12) but still marks many fields with the 3.0
keyword `nullable: true`; openapi_subset.load_document rewrites those to "this or null", or legal
nulls would be reported as errors. `$ref`s are resolved against the whole file. On top of the
schema, top-level fields the schema does not name are reported too: the schema allows them, but
a misspelt parameter is a bug in our client.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry

from tests.fakes.openapi_subset import error_path, load_document, property_names

SCHEMAS_FILE = Path(__file__).with_name("openai_schemas.json")
_DOCUMENT_URI = "urn:openai-openapi"


class RequestValidator:
    """Validates request bodies against one schema of `components.schemas`."""

    def __init__(self, document: dict[str, Any], registry: Registry, schema_name: str) -> None:
        self.schema_name = schema_name
        pointer = f"{_DOCUMENT_URI}#/components/schemas/{schema_name}"
        self._validator = Draft202012Validator({"$ref": pointer}, registry=registry)
        local = {"$ref": f"#/components/schemas/{schema_name}"}
        self._known_fields = frozenset(property_names(document, local))

    def errors(self, body: Any) -> list[str]:
        """Every way `body` breaks the schema (empty when it is valid)."""
        problems = [
            f"{'/'.join(error_path(error)) or '<body>'}: {error.message[:300]}"
            for error in self._validator.iter_errors(body)
        ]
        if isinstance(body, dict):
            problems += [
                f"{name}: not a field of {self.schema_name}"
                for name in sorted(set(body) - self._known_fields)
            ]
        return problems


@functools.cache
def validator(schema_name: str) -> RequestValidator:
    """A (cached) validator for one request schema, e.g. "CreateChatCompletionRequest"."""
    return RequestValidator(*_document_and_registry(), schema_name)


@functools.cache
def _document_and_registry() -> tuple[dict[str, Any], Registry]:
    return load_document(SCHEMAS_FILE, _DOCUMENT_URI)
