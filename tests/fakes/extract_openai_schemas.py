"""Regenerates openai_schemas.json: the request schemas FakeOpenAI validates against.

    python -m tests.fakes.extract_openai_schemas PATH/TO/openapi.json

PATH/TO/openapi.json is OpenAI's full OpenAPI document (github.com/openai/openai-openapi, MIT).
Only the schemas the fake checks (REQUEST_SCHEMAS) and every schema they reach through `$ref`
are kept, so the test suite ships a small, self-contained file instead of the whole API.
The output keeps the document's shape (`components.schemas`), so `$ref`s resolve unchanged.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

REQUEST_SCHEMAS = ("CreateChatCompletionRequest", "CreateModerationRequest")
OUTPUT = Path(__file__).with_name("openai_schemas.json")
_SCHEMA_PREFIX = "#/components/schemas/"


def referenced_schemas(schemas: dict[str, Any], roots: tuple[str, ...]) -> dict[str, Any]:
    """`roots` and every schema they reach through `$ref`, by name."""
    kept: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in kept:
            continue
        kept[name] = schemas[name]
        pending += _refs(schemas[name])
    return dict(sorted(kept.items()))


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [name for item in node for name in _refs(item)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key == "$ref":
            if not value.startswith(_SCHEMA_PREFIX):
                raise ValueError(f"unexpected $ref {value!r}")
            found.append(value.removeprefix(_SCHEMA_PREFIX))
        else:
            found += _refs(value)
    return found


def extract(document: dict[str, Any]) -> dict[str, Any]:
    info = document["info"]
    return {
        "x-extracted-from": {
            "source": "https://github.com/openai/openai-openapi (openapi.json)",
            "title": info["title"],
            "version": info["version"],
            "license": info["license"]["name"],
            "copyright": "Copyright (c) 2020 OpenAI",
            "note": "Only the schemas FakeOpenAI validates against; see tests/fakes/README.md.",
            "regenerate": "python -m tests.fakes.extract_openai_schemas PATH/TO/openapi.json",
        },
        "components": {
            "schemas": referenced_schemas(document["components"]["schemas"], REQUEST_SCHEMAS)
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("openapi_json", type=Path, help="OpenAI's full openapi.json")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT.name})")
    args = parser.parse_args()
    document = json.loads(args.openapi_json.read_text(encoding="utf-8"))
    text = json.dumps(extract(document), indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(extract(document)['components']['schemas'])} schemas")


if __name__ == "__main__":
    main()
