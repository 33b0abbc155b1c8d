"""Requests checked against Discord's own HTTP API specification (discord_openapi.json).

discord_openapi.json is the part of Discord's MIT-licensed OpenAPI 3.1 document (API v10) that
the stand-in serves, extracted by extract_discord_spec.py (see README.md here). Each request is
matched to its operation by method and path, and checked as Discord would: path and query
parameters against their schemas, a JSON body against the operation's JSON schema, and a
multipart body's `payload_json` against that same JSON schema (the spec's multipart schemas list
only the `files[n]` parts, not `payload_json`, which is where discord.py puts the message), plus
the names of its file parts. Fields the operation does not name are let through, as Discord
lets them through (discord.py sends `tts` on every webhook edit, a field only creation knows).

Problems come back as (field path, code, message), the pieces of Discord's own 50035 "Invalid
Form Body" answer.

A body is first checked by jsonschema-rs against the same document (about a hundred times faster
than `jsonschema` on a message with components: the stand-in checks every message of every
test, and in the latency benches it shares the bot's cores); only a body it finds invalid is
checked again by `jsonschema`, whose errors name the fields as Discord's answer does.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.fakes.openapi_subset import error_path, load_document, property_names, resolve

SPEC_FILE = Path(__file__).with_name("discord_openapi.json")
_DOCUMENT_URI = "urn:discord-openapi"
_JSON = "application/json"
_MULTIPART = "multipart/form-data"
_FILE_PART = re.compile(r"^files\[(\d+)\]$")
# Discord's documented cap on files in one message, for operations whose multipart schema does
# not list its file parts.
_MAX_FILES = 10

# Discord's error codes for each kind of schema failure, as its 50035 answers name them.
_CODES = {
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "minItems": "BASE_TYPE_MIN_LENGTH",
    "required": "BASE_TYPE_REQUIRED",
    "enum": "BASE_TYPE_CHOICES",
    "const": "BASE_TYPE_CHOICES",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
    "type": "BASE_TYPE_BAD_TYPE",
    "pattern": "STRING_TYPE_REGEX",
    "uniqueItems": "BASE_TYPE_UNIQUE",
}


@dataclass(frozen=True)
class Problem:
    path: str  # dotted, as Discord keys its errors: "data.components.0.components.1.custom_id"
    code: str
    message: str


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    operation_id: str
    pattern: re.Pattern[str]
    literal_parts: int
    parameters: tuple[dict[str, Any], ...]
    bodies: dict[str, dict[str, Any]]  # schema by content type


class DiscordSpec:
    """The operations of discord_openapi.json and the checks of one request against them."""

    def __init__(self, document: dict[str, Any], registry: Registry) -> None:
        self.document = document
        self.registry = registry
        self.operations: list[Operation] = []
        self._validators: dict[int, Draft202012Validator] = {}
        self._fast_validators: dict[int, Any] = {}
        self._fast_registry = jsonschema_rs.Registry([(_DOCUMENT_URI, document)])
        for template, item in document["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method == "parameters":
                    continue
                parts = template.strip("/").split("/")
                regex = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
                bodies = {
                    kind: body["schema"]
                    for kind, body in (op.get("requestBody") or {}).get("content", {}).items()
                }
                self.operations.append(
                    Operation(
                        method.upper(),
                        template,
                        op["operationId"],
                        re.compile(f"^/{regex}$"),
                        sum(not p.startswith("{") for p in parts),
                        tuple(shared) + tuple(op.get("parameters", ())),
                        bodies,
                    )
                )

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation serving `method path` (path relative to /api/v10); literal segments win
        over parameters (`messages/@original` over `messages/{message_id}`)."""
        matches = [op for op in self.operations if op.method == method and op.pattern.match(path)]
        return max(matches, key=lambda op: op.literal_parts, default=None)

    def problems(
        self,
        operation: Operation,
        path: str,
        query: dict[str, str],
        body: Any,
        *,
        multipart: bool,
        file_fields: list[str],
    ) -> list[Problem]:
        """Every way one request breaks `operation` (empty when it conforms)."""
        found = self._parameter_problems(operation, path, query)
        schema = operation.bodies.get(_JSON)
        if schema is None:
            if body is not None:
                found.append(
                    Problem("", "BASE_TYPE_BAD_TYPE", f"{operation.operation_id} takes no request body")
                )
            return found
        if multipart:
            found += self._file_problems(operation, file_fields)
        if body is None and not multipart:
            found.append(Problem("", "BASE_TYPE_REQUIRED", "This field is required"))
            return found
        if body is not None:
            found += self._body_problems(schema, body)
        return found

    def _parameter_problems(self, operation: Operation, path: str, query: dict[str, str]) -> list[Problem]:
        found = []
        template_parts = operation.template.strip("/").split("/")
        values = dict(zip(template_parts, path.strip("/").split("/"), strict=True))
        for param in operation.parameters:
            if param["in"] == "path":
                raw = values.get("{" + param["name"] + "}")
            elif param["in"] == "query":
                raw = query.get(param["name"])
            else:
                continue
            if raw is None:
                if param.get("required"):
                    found.append(Problem(param["name"], "BASE_TYPE_REQUIRED", "This field is required"))
                continue
            value = _coerce(raw, resolve(self.document, param["schema"]))
            validator = self._validator(param["schema"])
            found += [
                Problem(param["name"], _problem(e).code, _problem(e).message)
                for e in validator.iter_errors(value)
            ]
        return found

    def _file_problems(self, operation: Operation, file_fields: list[str]) -> list[Problem]:
        listed = {
            name
            for name in property_names(self.document, operation.bodies.get(_MULTIPART, {}))
            if _FILE_PART.match(name)
        }
        found = []
        for field in file_fields:
            match = _FILE_PART.match(field)
            allowed = field in listed if listed else bool(match) and int(match[1]) < _MAX_FILES
            if not allowed:
                found.append(
                    Problem(
                        field, "UNKNOWN_FILE_FIELD", f"{operation.operation_id} takes no file part {field!r}"
                    )
                )
        return found

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        # Schemas live as long as the document: their identity is a fine cache key.
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[key]

    def _fast_validator(self, schema: dict[str, Any]) -> Any:
        key = id(schema)
        if key not in self._fast_validators:
            self._fast_validators[key] = jsonschema_rs.validator_for(schema, registry=self._fast_registry)
        return self._fast_validators[key]

    def _body_problems(self, schema: dict[str, Any], body: Any) -> list[Problem]:
        if self._fast_validator(schema).is_valid(body):
            return []
        validator = self._validator(schema)
        found = [_problem(leaf) for error in validator.iter_errors(body) for leaf in _leaves(error)]
        return found


def _problem(error: ValidationError) -> Problem:
    """One schema failure as Discord words it: the field's path, its code and message."""
    path = error_path(error)
    limit = error.validator_value
    if error.validator in ("maxLength", "maxItems"):
        message = f"Must be {limit} or fewer in length."
    elif error.validator in ("minLength", "minItems"):
        message = f"Must be {limit} or more in length."
    elif error.validator == "required":
        missing = [name for name in limit if name not in (error.instance or {})]
        path += missing[:1]
        message = "This field is required"
    else:
        message = error.message[:200]
    return Problem(".".join(path), _CODES.get(str(error.validator), "BASE_TYPE_BAD_TYPE"), message)


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """A query or path value (always text) as the type its schema wants, as Discord parses it."""
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if "boolean" in kinds and raw.lower() in ("true", "false", "1", "0"):
        return raw.lower() in ("true", "1")
    if "integer" in kinds and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def _is_discriminator_miss(error: ValidationError) -> bool:
    """Whether a union branch failed only because the value is another branch's kind: not its
    JSON type at all (`null` versus an object), or another `type` number (a button versus a row)."""
    relative = list(error.relative_path)
    return (error.validator == "type" and not relative) or (
        relative == ["type"] and error.validator in ("enum", "const")
    )


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors to report for `error`: for a failed anyOf/oneOf (a union of request kinds),
    those of the branch that matches the value's kind, so the path points at the bad field
    instead of at the union."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    candidates = [errs for errs in branches.values() if not any(_is_discriminator_miss(e) for e in errs)]
    if len(candidates) != 1:
        return [error]
    return [leaf for sub in candidates[0] for leaf in _leaves(sub)]


@functools.cache
def spec() -> DiscordSpec:
    """The (cached) extract, with the one narrow correction described in _allow_upload_indexes."""
    document, _ = load_document(SPEC_FILE, _DOCUMENT_URI)
    # Absolute $refs, so any schema of the document (a parameter's, a body's) validates on its own.
    document = _allow_upload_indexes(_absolute_refs(document))
    return DiscordSpec(
        document, Registry().with_resource(_DOCUMENT_URI, DRAFT202012.create_resource(document))
    )


def _absolute_refs(node: Any) -> Any:
    if isinstance(node, list):
        return [_absolute_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (_DOCUMENT_URI + value if key == "$ref" and value.startswith("#/") else _absolute_refs(value))
        for key, value in node.items()
    }


def _allow_upload_indexes(document: dict[str, Any]) -> dict[str, Any]:
    """Let a message's attachment entry name a new upload by integer index.

    The spec types every attachment id as a snowflake string. For a file uploaded in the same
    request, the id is instead the `n` of its `files[n]` part, and discord.py sends it as a JSON
    integer (`{"id": 0, "filename": …}`), which Discord accepts. Only that field is widened (to a
    non-negative integer as well); every other snowflake stays a string.
    """
    document = copy.deepcopy(document)
    attachment = document["components"]["schemas"]["MessageAttachmentRequest"]
    attachment["properties"]["id"] = {
        "anyOf": [attachment["properties"]["id"], {"type": "integer", "minimum": 0}]
    }
    return document
