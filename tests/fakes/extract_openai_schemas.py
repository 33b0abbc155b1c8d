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

from tests.fakes.openapi_subset import referenced_schemas, write_extract

REQUEST_SCHEMAS = ("CreateChatCompletionRequest", "CreateModerationRequest")
OUTPUT = Path(__file__).with_name("openai_schemas.json")


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
        "components": {"schemas": referenced_schemas(document["components"]["schemas"], REQUEST_SCHEMAS)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("openapi_json", type=Path, help="OpenAI's full openapi.json")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT.name})")
    args = parser.parse_args()
    document = json.loads(args.openapi_json.read_text(encoding="utf-8"))
    extracted = extract(document)
    write_extract(args.out, extracted)
    print(f"{args.out}: {len(extracted['components']['schemas'])} schemas")


if __name__ == "__main__":
    main()
