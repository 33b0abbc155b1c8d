"""Regenerates discord_openapi.json: the part of Discord's HTTP API spec the stand-in checks.

    python -m tests.fakes.extract_discord_spec PATH/TO/openapi.json

PATH/TO/openapi.json is Discord's OpenAPI 3.1 document for API v10 (github.com/discord/
discord-api-spec, `specs/openapi.json`, MIT). Only the operations the stand-in serves
(OPERATIONS, by operationId: their path and query parameters and request bodies) and every
schema they reach through `$ref` are kept, so the test suite ships a small, self-contained file
instead of the whole API. The output keeps the document's shape (`paths`,
`components.schemas`), so `$ref`s resolve unchanged.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tests.fakes.openapi_subset import referenced_schemas, schema_refs, write_extract

# Every route tests/fakes/discord_rest.py serves, by the spec's operationId.
OPERATIONS = (
    "get_my_user",
    "get_user",
    "get_gateway",
    "get_bot_gateway",
    "get_my_oauth2_application",
    "get_my_application",
    "list_application_commands",
    "bulk_set_application_commands",
    "list_guild_application_commands",
    "bulk_set_guild_application_commands",
    "list_guild_application_command_permissions",
    "get_entitlements",
    "list_application_emojis",
    "get_guild",
    "list_guild_channels",
    "get_guild_member",
    "get_channel",
    "trigger_typing_indicator",
    "create_message",
    "get_message",
    "update_message",
    "delete_message",
    "create_interaction_response",
    "execute_webhook",
    "get_original_webhook_message",
    "update_original_webhook_message",
    "delete_original_webhook_message",
    "get_webhook_message",
    "update_webhook_message",
    "delete_webhook_message",
)
OUTPUT = Path(__file__).with_name("discord_openapi.json")
SOURCE = "https://github.com/discord/discord-api-spec (specs/openapi.json)"
_METHODS = ("get", "put", "post", "patch", "delete")
_KEPT = ("operationId", "parameters", "requestBody")


def kept_paths(paths: dict[str, Any]) -> dict[str, Any]:
    """The paths holding OPERATIONS, with those operations' parameters and bodies only."""
    kept: dict[str, Any] = {}
    found = set()
    for path, item in paths.items():
        operations = {
            method: {key: op[key] for key in _KEPT if key in op}
            for method, op in item.items()
            if method in _METHODS and op.get("operationId") in OPERATIONS
        }
        if operations:
            found |= {op["operationId"] for op in operations.values()}
            kept[path] = ({"parameters": item["parameters"]} if "parameters" in item else {}) | operations
    missing = set(OPERATIONS) - found
    if missing:
        raise ValueError(f"operations not in the document: {sorted(missing)}")
    return kept


def extract(document: dict[str, Any], commit: str) -> dict[str, Any]:
    info = document["info"]
    paths = kept_paths(document["paths"])
    return {
        "x-extracted-from": {
            "source": SOURCE,
            "commit": commit,
            "title": info["title"],
            "version": info["version"],
            "license": info["license"]["name"],
            "copyright": "Copyright 2023 Discord",
            "note": "Only the operations the Discord stand-in serves; see tests/fakes/README.md.",
            "regenerate": "python -m tests.fakes.extract_discord_spec PATH/TO/openapi.json",
        },
        "paths": paths,
        "components": {"schemas": referenced_schemas(document["components"]["schemas"], schema_refs(paths))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("openapi_json", type=Path, help="Discord's full specs/openapi.json")
    parser.add_argument(
        "--commit",
        default="unknown",
        help="the discord-api-spec commit it came from (recorded in the output)",
    )
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT.name})")
    args = parser.parse_args()
    document = json.loads(args.openapi_json.read_text(encoding="utf-8"))
    extracted = extract(document, args.commit)
    write_extract(args.out, extracted)
    print(f"{args.out}: {len(extracted['paths'])} paths, {len(extracted['components']['schemas'])} schemas")


if __name__ == "__main__":
    main()
