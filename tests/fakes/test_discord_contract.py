"""The stand-in holds requests to Discord's own contract: its OpenAPI specification, the limits
and behaviours Discord documents, and its rate limits, answering as Discord answers."""

from __future__ import annotations

import asyncio
import io
import json
import time

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord.ext import commands

from tests.fakes.discord_ratelimits import RateLimiter, RouteLimit
from tests.fakes.discord_records import InjectedInteraction
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, DiscordStandIn, run_bot


class ContractBot(commands.Bot):
    """Commands that each break, or lean on, one rule of Discord's."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=GUILD_READY_TIMEOUT_S,
        )
        self.failures: list[BaseException] = []
        self.tree.on_error = self._record_failure

    async def _record_failure(self, interaction, error) -> None:
        self.failures.append(getattr(error, "original", error))

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="stream", description="Edits its answer as fast as it can")
        async def stream(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            text = ""
            for i in range(8):
                text += f"line {i}\n"
                await interaction.edit_original_response(content=text)

        @tree.command(name="late", description="Edits its answer after the token expired")
        async def late(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await asyncio.sleep(0.3)
            await interaction.edit_original_response(content="too late")

        @tree.command(name="gone", description="Edits its answer after deleting it")
        async def gone(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("here")
            await interaction.delete_original_response()
            await interaction.edit_original_response(content="still here?")

        @tree.command(name="big", description="Uploads 2 kB")
        async def big(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(file=discord.File(io.BytesIO(b"x" * 2048), "big.bin"))

        await tree.sync()


@pytest_asyncio.fixture
async def server():
    async with DiscordStandIn() as stand_in:
        yield stand_in


@pytest_asyncio.fixture
async def bot(server):
    contract = ContractBot()
    async with run_bot(contract, server):
        yield contract


@pytest_asyncio.fixture
async def http(server):
    """A raw HTTP client with the bot's token: requests discord.py would never build."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {server.token}"}) as session:
        yield session


async def _send(http, server, method: str, path: str, **kwargs) -> tuple[int, dict, dict]:
    async with http.request(method, server.api_base + path, **kwargs) as response:
        return response.status, await response.json(), dict(response.headers)


def _form(payload: dict, files: dict[str, bytes]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for name, data in files.items():
        form.add_field(name, data, filename="a.png", content_type="image/png")
    return form


@pytest.mark.asyncio
async def test_a_body_that_breaks_discords_specification_gets_invalid_form_body(server, http):
    channel = f"/channels/{server.channel_id}/messages"
    button_without_style = {
        "components": [{"type": 1, "components": [{"type": 2, "label": "Again", "custom_id": "again"}]}]
    }
    status, body, _ = await _send(http, server, "POST", channel, json=button_without_style)
    assert status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert body["errors"] == {
        "components": {
            "0": {
                "components": {
                    "0": {
                        "style": {
                            "_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]
                        }
                    }
                }
            }
        }
    }

    status, body, _ = await _send(http, server, "POST", channel, json={"content": 5})
    assert status == 400 and body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_BAD_TYPE"
    assert len(server.take_rejections()) == 2
    assert server.store.messages == {}


@pytest.mark.asyncio
async def test_multipart_payload_json_and_file_parts_are_checked_too(server, http):
    channel = f"/channels/{server.channel_id}/messages"
    too_long = _form({"content": "x" * 2001, "attachments": [{"id": 0}]}, {"files[0]": b"png"})
    status, body, _ = await _send(http, server, "POST", channel, data=too_long)
    assert (
        status == 400
        and body["errors"]["content"]["_errors"][0]["message"] == "Must be 2000 or fewer in length."
    )

    misnamed = _form({"content": "hi"}, {"upload": b"png"})
    status, body, _ = await _send(http, server, "POST", channel, data=misnamed)
    assert status == 400 and body["errors"]["upload"]["_errors"][0]["code"] == "UNKNOWN_FILE_FIELD"

    # A new upload's attachment id is its files[n] index, an integer (see discord_spec.py).
    fine = _form({"content": "hi", "attachments": [{"id": 0, "filename": "a.png"}]}, {"files[0]": b"png"})
    status, body, _ = await _send(http, server, "POST", channel, data=fine)
    assert status == 200 and body["attachments"][0]["filename"] == "a.png"
    assert len(server.take_rejections()) == 2


@pytest.mark.asyncio
async def test_a_modal_title_over_45_and_a_select_over_25_options_are_refused(server, http):
    ix = await _raw_command(server)
    modal = {
        "type": 9,
        "data": {
            "custom_id": "m",
            "title": "t" * 46,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "a", "style": 1, "label": "A"}]}
            ],
        },
    }
    status, body, _ = await _send(
        http, server, "POST", f"/interactions/{ix.id}/{ix.token}/callback", json=modal
    )
    assert status == 400 and "title" in body["errors"]["data"]
    options = [{"label": str(i), "value": str(i)} for i in range(26)]
    select = {
        "type": 4,
        "data": {
            "content": "pick",
            "components": [{"type": 1, "components": [{"type": 3, "custom_id": "s", "options": options}]}],
        },
    }
    status, body, _ = await _send(
        http, server, "POST", f"/interactions/{ix.id}/{ix.token}/callback", json=select
    )
    assert status == 400
    assert "options" in body["errors"]["data"]["components"]["0"]["components"]["0"]
    assert len(server.take_rejections()) == 2


async def _raw_command(server: DiscordStandIn):
    """An interaction no bot is listening to (the test answers it over raw HTTP)."""
    payload = server.builder.base(
        2, user=server.alice, locale=None, guild_locale=None, app_permissions=None, in_dm=False
    )
    payload["data"] = {"id": "1", "name": "raw", "type": 1}
    interaction = InjectedInteraction(
        server=server,
        id=int(payload["id"]),
        token=payload["token"],
        type=2,
        user=server.alice,
        payload=payload,
    )
    server.interactions[interaction.id] = interaction
    server.by_token[interaction.token] = interaction
    interaction.sent_at = time.monotonic()
    return interaction


@pytest.mark.asyncio
async def test_over_long_content_from_the_bot_is_refused_and_fails_the_test_at_exit(server, bot):
    channel = bot.get_channel(server.channel_id)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    assert refused.value.status == 400 and refused.value.code == 50035
    with pytest.raises(AssertionError, match="Discord would refuse"):
        server.assert_no_rejections()
    server.take_rejections()
    server.assert_no_rejections()


@pytest.mark.asyncio
async def test_editing_one_message_too_fast_gets_429_with_the_bucket_headers(server, http):
    channel = f"/channels/{server.channel_id}/messages"
    status, message, _ = await _send(http, server, "POST", channel, json={"content": "0"})
    assert status == 200
    answers = [
        await _send(http, server, "PATCH", f"{channel}/{message['id']}", json={"content": str(i)})
        for i in range(1, 7)
    ]
    assert [status for status, _, _ in answers] == [200] * 5 + [429]
    _, first_headers = answers[0][1], answers[0][2]
    assert first_headers["X-RateLimit-Limit"] == "5" and first_headers["X-RateLimit-Remaining"] == "4"
    _, limited, headers = answers[-1]
    assert limited["message"] == "You are being rate limited." and limited["global"] is False
    assert 0 < limited["retry_after"] <= 5.0
    for name in (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "X-RateLimit-Reset-After",
        "X-RateLimit-Bucket",
        "Retry-After",
    ):
        assert name in headers
    assert headers["X-RateLimit-Remaining"] == "0"
    assert server.message(int(message["id"]))["content"] == "5"  # the refused edit changed nothing
    assert len(server.rate_limited) == 1


@pytest.mark.asyncio
async def test_discord_py_waits_out_the_bucket_so_a_fast_stream_arrives_whole(server, bot):
    # Discord's numbers, scaled down so the test takes a second, not ten.
    server.rate_limiter = RateLimiter(
        limits=(
            RouteLimit(
                "PATCH",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                ("token", "message_id"),
                limit=2,
                per_s=0.3,
            ),
        )
    )
    ix = await server.inject_command("stream")
    edits = await server.wait_for_replies(ix, 8, kind="edit")
    assert edits[-1].content == "".join(f"line {i}\n" for i in range(8))
    assert [e.content.count("\n") for e in edits] == list(range(1, 9))  # none lost, in order
    gaps = [b.at - a.at for a, b in zip(edits[1::2], edits[2::2], strict=False)]
    assert min(gaps) > 0.2  # discord.py held back once the bucket was spent
    assert bot.failures == []


@pytest.mark.asyncio
async def test_a_webhook_token_expires_after_its_lifetime(server, bot):
    server.token_lifetime = 0.2  # Discord's is 15 minutes
    ix = await server.inject_command("late")
    refused = await server.wait_for(lambda r: r.method == "PATCH" and r.status == 401)
    assert refused.response == {"code": 50027, "message": "Invalid Webhook Token"}
    await asyncio.sleep(0.05)
    assert isinstance(bot.failures[0], discord.HTTPException) and ix.replies[0].callback_type == 5


@pytest.mark.asyncio
async def test_editing_a_deleted_message_is_unknown_message(server, bot):
    await server.inject_command("gone")
    refused = await server.wait_for(lambda r: r.method == "PATCH" and r.status == 404)
    assert refused.response == {"code": 10008, "message": "Unknown Message"}
    await asyncio.sleep(0.05)
    assert isinstance(bot.failures[0], discord.NotFound)


@pytest.mark.asyncio
async def test_uploads_are_held_to_the_interactions_attachment_size_limit(server, bot):
    server.world.attachment_size_limit = 1024
    await server.inject_command("big")
    refused = await server.wait_for(lambda r: r.status == 413)
    assert refused.response["code"] == 40005
    assert len(server.take_rejections()) == 1
    server.world.attachment_size_limit = 4096
    ix = await server.inject_command("big")
    sent = await ix.wait_for_callback()
    assert sent.attachments[0]["size"] == 2048
