"""The Discord stand-in, exercised by the real discord.py client through a throwaway bot."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands
from PIL import Image

from tests.fakes.discord_records import Feed
from tests.fakes.discord_server import (
    GUILD_READY_TIMEOUT_S,
    DiscordStandIn,
    InvalidInteraction,
    Upload,
    percentile,
    run_bot,
)


class ButtonView(discord.ui.View):
    """One button only the requester may press; others get an ephemeral refusal."""

    def __init__(self, requester_id: int) -> None:
        super().__init__(timeout=30)
        self.requester_id = requester_id

    @discord.ui.button(label="Mine", custom_id="mine")
    async def mine(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        if interaction.user.id != self.requester_id:
            await interaction.response.send_message("not yours", ephemeral=True)
            return
        await interaction.response.edit_message(content="pressed", view=None)


class AskModal(discord.ui.Modal, title="Question"):
    answer = discord.ui.TextInput(label="Answer", custom_id="answer", max_length=20)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you said {self.answer.value}")


class AskView(discord.ui.View):
    """A button that opens the modal, as a component-opened modal does."""

    @discord.ui.button(label="Ask", custom_id="ask")
    async def ask(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(AskModal())


class EchoBot(commands.Bot):
    """A throwaway bot with just enough commands to drive every part of the stand-in."""

    def __init__(self, *, sharded: bool = False) -> None:
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

        @tree.command(name="pic", description="A black square PNG")
        @app_commands.describe(size="Side in pixels", image="Any file, echoed back by size")
        async def pic(
            interaction: discord.Interaction,
            size: app_commands.Range[int, 1, 64],
            image: discord.Attachment | None = None,
        ) -> None:
            await interaction.response.defer(thinking=True)
            extra = ""
            if image is not None:
                extra = " " + hashlib.sha256(await image.read()).hexdigest()
            buffer = io.BytesIO()
            Image.new("L", (size, size)).save(buffer, "PNG")
            buffer.seek(0)
            await interaction.followup.send(
                f"{interaction.locale.value}{extra}", file=discord.File(buffer, "square.png")
            )
            await interaction.edit_original_response(content="done")

        @tree.command(name="press", description="A message with a button")
        async def press(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("press it", view=ButtonView(interaction.user.id))

        @tree.command(name="long", description="Too long for Discord")
        async def long(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("x" * 2001)

        @tree.command(name="slow", description="Answers after the deadline")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            await interaction.response.send_message("late")

        @tree.command(name="block", description="Blocks the event loop, as a bad command would")
        async def block(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("blocking")
            time.sleep(0.4)  # noqa: ASYNC251 -- deliberately blocking; the heartbeat test must see it

        @tree.command(name="ask", description="Opens a modal")
        async def ask(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(AskModal())

        @tree.command(name="asker", description="A message whose button opens a modal")
        async def asker(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ask me", view=AskView())

        await tree.sync()


class ShardedEchoBot(commands.AutoShardedBot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=GUILD_READY_TIMEOUT_S,
        )


@pytest_asyncio.fixture
async def server():
    async with DiscordStandIn() as stand_in:
        yield stand_in


@pytest_asyncio.fixture
async def bot(server):
    echo = EchoBot()
    async with run_bot(echo, server):
        yield echo


@pytest.mark.asyncio
async def test_bot_logs_in_and_receives_ready_then_guild_create(server, bot):
    assert bot.user.id == server.world.bot_user.id
    guild = bot.get_guild(server.guild_id)
    assert guild is not None and [c.name for c in guild.text_channels] == ["general"]
    assert guild.me is not None and guild.member_count == len(server.world.users)
    events = [name for _, op, name in server.sessions[0].sent if op == 0]
    assert events[:2] == ["READY", "GUILD_CREATE"]
    assert server.sessions[0].identify["intents"] == discord.Intents.default().value
    logins = [(r.method, r.path, r.authorized) for r in server.requests.items[:2]]
    assert logins == [("GET", "/users/@me", True), ("GET", "/oauth2/applications/@me", True)]
    assert server.unhandled == []


@pytest.mark.asyncio
async def test_tree_sync_is_recorded_with_option_types(server, bot):
    commands_by_name = {c["name"]: c for c in await server.wait_for_sync()}
    assert {"pic", "press", "long", "slow", "block", "ask"} <= set(commands_by_name)
    options = {o["name"]: o for o in commands_by_name["pic"]["options"]}
    assert options["size"]["type"] == 4 and options["size"]["max_value"] == 64
    assert options["image"]["type"] == 11 and not options["image"].get("required")
    assert server.synced_commands(server.guild_id) == []


@pytest.mark.asyncio
async def test_slash_command_defers_then_sends_png_follow_up_then_edits_original(server, bot):
    interaction = await server.inject_command("pic", {"size": 12}, locale="es-ES")

    deferred = await interaction.wait_for_callback()
    follow_up = await interaction.wait_for_followup()
    edit = await interaction.wait_for_edit()

    assert deferred.callback_type == 5 and deferred.loading and deferred.elapsed < 3.0
    assert follow_up.content == "es-ES"
    assert [f.filename for f in follow_up.files] == ["square.png"]
    assert Image.open(io.BytesIO(follow_up.files[0].data)).size == (12, 12)
    assert follow_up.attachments[0]["width"] == 12
    assert server.file(follow_up.attachments[0]).data == follow_up.files[0].data
    assert edit.target == "@original" and edit.message_id == deferred.message_id
    assert edit.content == "done" and not edit.loading
    assert [r.kind for r in interaction.replies] == ["callback", "followup", "edit"]
    assert server.errors == [] and bot.failures == []


@pytest.mark.asyncio
async def test_attachment_option_serves_the_uploaded_bytes_to_the_bot(server, bot):
    data = b"handwritten digit, honestly" * 100
    interaction = await server.inject_command("pic", {"size": 4, "image": Upload("d.png", data)})
    follow_up = await interaction.wait_for_followup()
    assert follow_up.content == "en-US " + hashlib.sha256(data).hexdigest()


@pytest.mark.asyncio
async def test_button_press_by_someone_else_and_by_the_requester(server, bot):
    command = await server.inject_command("press", user=server.alice)
    sent = await command.wait_for_callback()
    assert [b["custom_id"] for b in sent.buttons()] == ["mine"]

    stranger = await server.inject_component(sent, "mine", user=server.bob)
    refusal = await stranger.wait_for_callback()
    assert refusal.callback_type == 4 and refusal.ephemeral and refusal.content == "not yours"

    owner = await server.inject_component(sent, "mine", user=server.alice)
    update = await owner.wait_for_callback()
    assert update.callback_type == 7 and update.message_id == sent.message_id
    assert update.content == "pressed" and update.components == []


@pytest.mark.asyncio
async def test_modal_opened_by_a_command_is_submitted(server, bot):
    command = await server.inject_command("ask")
    opened = await command.wait_for_callback()
    assert opened.callback_type == 9 and opened.payload["custom_id"] == command.modal["custom_id"]
    assert command.modal["title"] == "Question"
    submit = await server.inject_modal_submit(command, {"answer": "seven"})
    reply = await submit.wait_for_callback()
    assert reply.callback_type == 4 and reply.content == "you said seven"
    assert submit.payload["type"] == 5 and "message" not in submit.payload


@pytest.mark.asyncio
async def test_modal_opened_by_a_button_names_its_message_and_checks_the_fields(server, bot):
    command = await server.inject_command("asker")
    message = await command.wait_for_callback()
    press = await server.inject_component(message, "ask")
    assert (await press.wait_for_callback()).callback_type == 9
    with pytest.raises(InvalidInteraction, match="required"):
        await server.inject_modal_submit(press, {"answer": ""})
    with pytest.raises(InvalidInteraction, match="outside"):
        await server.inject_modal_submit(press, {"answer": "x" * 21})
    with pytest.raises(InvalidInteraction, match="no fields"):
        await server.inject_modal_submit(press, {"question": "?"})
    with pytest.raises(InvalidInteraction, match="opened no modal"):
        await server.inject_modal_submit(command, {"answer": "seven"})
    submit = await server.inject_modal_submit(press, {"answer": "eight"})
    assert submit.payload["message"]["id"] == str(message.message_id)
    assert (await submit.wait_for_callback()).content == "you said eight"


@pytest.mark.asyncio
async def test_impossible_interactions_are_refused_before_reaching_the_bot(server, bot):
    with pytest.raises(InvalidInteraction, match="outside"):
        await server.inject_command("pic", {"size": 65})
    with pytest.raises(InvalidInteraction, match="never synced"):
        await server.inject_command("nope")
    sent = await (await server.inject_command("press")).wait_for_callback()
    with pytest.raises(InvalidInteraction, match="no component"):
        await server.inject_component(sent, "missing")


@pytest.mark.asyncio
async def test_content_over_discord_limit_is_rejected_like_discord(server, bot):
    interaction = await server.inject_command("long")
    refused = await server.wait_for(lambda r: r.status == 400)
    assert refused.response["code"] == 50035 and refused.response["message"] == "Invalid Form Body"
    assert refused.response["errors"]["data"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert server.take_rejections() == [refused]
    assert interaction.replies == []
    await asyncio.sleep(0.05)  # let the bot's error handler run
    assert isinstance(bot.failures[0], discord.HTTPException)


@pytest.mark.asyncio
async def test_callback_after_the_deadline_is_unknown_interaction(server, bot):
    server.callback_deadline = 0.2
    interaction = await server.inject_command("slow")
    refused = await server.wait_for(lambda r: r.status == 404)
    assert refused.response == {"code": 10062, "message": "Unknown interaction"}
    assert not interaction.acknowledged
    await asyncio.sleep(0.05)
    assert isinstance(bot.failures[0], discord.NotFound)


@pytest.mark.asyncio
async def test_wrong_token_raises_login_failure(server):
    with pytest.raises(discord.LoginFailure):
        async with run_bot(EchoBot(), server, token="not-the-token"):
            pass
    assert server.requests.items[0].status == 401 and server.requests.items[0].authorized is False


@pytest.mark.asyncio
async def test_auto_sharded_bot_asks_gateway_bot_and_identifies_with_shard():
    async with DiscordStandIn(shard_count=1) as server:
        async with run_bot(ShardedEchoBot(), server) as sharded:
            assert sharded.get_guild(server.guild_id) is not None
        assert any(r.path == "/gateway/bot" for r in server.requests.items)
        assert server.sessions[0].identify["shard"] == [0, 1]


class ShardProcessBot(commands.AutoShardedBot):
    """One of several bots holding some shards each, as separate shard processes would."""

    def __init__(self, label: str, shard_ids: list[int], shard_count: int, *, sync: bool) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=GUILD_READY_TIMEOUT_S,
            shard_ids=shard_ids,
            shard_count=shard_count,
        )
        self.label, self.sync = label, sync

    async def setup_hook(self) -> None:
        @self.tree.command(name="where", description="Which bot and shard answered")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"{self.label} shard {interaction.guild.shard_id} guild {interaction.guild_id}"
            )

        if self.sync:
            await self.tree.sync()


@pytest.mark.asyncio
async def test_guilds_on_two_shards_reach_only_the_bot_holding_each_shard():
    async with DiscordStandIn(shard_count=2) as server:
        first = server.world.move_guild_to_shard(server.world.guild, 0, 2)
        second = server.add_guild("Second", locale="es-ES", on_shard=(1, 2))
        third = server.add_guild("Third", on_shard=(1, 2))
        a, b = ShardProcessBot("a", [0], 2, sync=True), ShardProcessBot("b", [1], 2, sync=False)
        async with run_bot(a, server), run_bot(b, server):
            await server.wait_until_connected()
            assert [g.id for g in a.guilds] == [first.id]
            assert sorted(g.id for g in b.guilds) == sorted([second.id, third.id])
            assert b.get_guild(second.id).preferred_locale == discord.Locale.spain_spanish
            answers = {}
            for guild in (first, second, third):
                ix = await server.inject_command("where", guild=guild)
                answers[guild.id] = (await ix.wait_for_reply()).message["content"]
                assert (await ix.wait_for_reply()).message["guild_id"] == str(guild.id)
    assert answers == {
        first.id: f"a shard 0 guild {first.id}",
        second.id: f"b shard 1 guild {second.id}",
        third.id: f"b shard 1 guild {third.id}",
    }
    assert sorted(s.identify["shard"] for s in server.sessions) == [[0, 2], [1, 2]]
    assert not any(r.path == "/gateway/bot" for r in server.requests.items)  # count was given
    creates = {tuple(s.shard): [n for _, _, n in s.sent].count("GUILD_CREATE") for s in server.sessions}
    assert creates == {(0, 2): 1, (1, 2): 2}
    assert len(server.syncs.items) == 1
    assert server.errors == [] and server.unhandled == []


@pytest.mark.asyncio
async def test_heartbeat_answers_are_measured_and_a_blocked_loop_shows():
    async with DiscordStandIn(heartbeat_interval_ms=300) as server:
        async with run_bot(EchoBot(), server):
            async with server.heartbeat_probe(period=0.25):
                await asyncio.sleep(1.1)
                idle = list(server.heartbeat_latencies)
                await server.inject_command("block")
                await asyncio.sleep(0.9)
    assert len(idle) >= 3 and percentile(idle, 99) <= 0.25
    assert max(server.heartbeat_latencies) >= 0.25  # the 0.4 s block was noticed
    assert server.unanswered_heartbeats == 0
    delays = server.periodic_heartbeat_delays
    assert len(delays) >= 4 and min(delays) > -0.05 and max(delays) >= 0.15


@pytest.mark.asyncio
async def test_waiting_for_what_never_comes_times_out_listing_what_came():
    feed: Feed[str] = Feed("things")
    feed.append("apple")
    with pytest.raises(TimeoutError, match="'apple'"):
        await feed.wait_for(lambda item: item == "pear", timeout=0.05)
    waiter = asyncio.create_task(feed.wait_for_count(lambda item: item.startswith("p"), 2))
    feed.append("pear")
    feed.append("plum")
    assert await waiter == ["pear", "plum"]


def test_the_fake_knows_which_mentions_discord_would_notify():
    from tests.fakes.discord_messages import pings

    content = "@everyone hi <@1> <@!2> <@&3> @here"
    assert pings(content, None) == ["@everyone", "<@1>", "<@!2>", "<@&3>", "@here"]
    assert pings(content, {"parse": []}) == []
    assert pings(content, {"parse": ["users"]}) == ["<@1>", "<@!2>"]
    assert pings(content, {"parse": [], "roles": ["3"]}) == ["<@&3>"]
