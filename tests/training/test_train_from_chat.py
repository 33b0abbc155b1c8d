"""Training from chat through the loopback Discord, with real two-epoch jobs in real processes:
an admin starts, watches and gets a hot swap; others are refused; rollback."""

from __future__ import annotations

import pytest

from bot.training.job_process import CLASSIFIERS_DIR
from tests.fakes.discord_world import MANAGE_GUILD
from tests.helpers import image_of
from tests.training.jobs import ACCEPT_ANY, SHORT_JOBS, ended, wait_for_job

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def fields(reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}


async def command(server, name, options=None, *, predicate=None, timeout=5.0, **kwargs):  # noqa: ASYNC109
    ix = await server.inject_command(name, options, **kwargs)
    return await server.wait_for_reply(ix, predicate or (lambda r: r.content or r.embeds), timeout=timeout)


async def test_an_admin_trains_watches_and_the_new_model_serves_without_a_restart(
    discord_server, start_bot, sampler
):
    alice, bob = discord_server.alice, discord_server.bob
    carol = discord_server.add_user("carol")
    elsewhere = discord_server.add_guild("Elsewhere")  # the one model serves this server too
    options = {"owner_ids": frozenset({alice.id}), "dev_guild_id": None} | SHORT_JOBS | ACCEPT_ANY
    async with start_bot(**options) as bot:
        await discord_server.wait_until_connected()
        refused = await command(discord_server, "train start", {"epochs": 2}, user=bob)
        assert refused.ephemeral
        assert refused.content.startswith("Solo los administradores del servidor")  # bob reads Spanish

        started = await command(discord_server, "train start", {"epochs": 2, "seed": 1})
        assert started.content == (
            "Training job #1 started (epochs: 2, seed: 1). Follow it with /train-status."
        )
        assert not started.ephemeral

        # carol manages the server: she may start jobs, but one runs already
        busy = await command(discord_server, "train start", user=carol, member_permissions=MANAGE_GUILD)
        assert busy.ephemeral
        assert busy.content.startswith(
            f"A training job is already running: job #1, started by <@{alice.id}> <t:"
        )
        # an admin of another server hears of the job, not whom from this server it is by, and
        # may not stop it
        other = {"guild": elsewhere, "user": carol, "member_permissions": MANAGE_GUILD}
        busy_there = await command(discord_server, "train start", **other)
        assert "started by someone in another server <t:" in busy_there.content
        not_theirs = await command(discord_server, "train cancel", **other)
        assert not_theirs.content.startswith("Job #1 was started in another server")

        first_epoch = await wait_for_job(bot, lambda job: job.epoch >= 1 or ended(job))
        assert first_epoch.state == "running", first_epoch.reason
        status = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        assert fields(status)["State"] == "running"
        assert fields(status)["Epoch"] in ("1 / 2", "2 / 2")
        assert fields(status)["Job"].startswith(f"#1, started by <@{alice.id}>")
        assert status.embeds[0]["description"].startswith("`▰")  # the progress bar
        assert image_of(status.files[0].data).format == "PNG"  # the live loss curve

        job = await wait_for_job(bot, ended)
        assert (job.state, job.outcome) == ("finished", "swapped"), job.reason
        new_version = job.metrics["evaluation"]["version"]
        assert bot.sampler.version == new_version != sampler.version
        # What the job made from the digits alone waits for the next job on them and this seed.
        kept = bot.settings.data_dir / "jobs" / CLASSIFIERS_DIR
        assert sorted(path.name.partition("-")[0] for path in kept.iterdir()) == ["checker", "digitness"]

        announcement = await discord_server.wait_for(
            lambda r: r.method == "POST" and r.path == f"/channels/{discord_server.channel_id}/messages"
        )
        assert announcement.json["content"].startswith(
            f"The digit model was retrained (job #1): VAE {new_version} now draws the digits"
        )

        digit = await command(discord_server, "digit", {"digit": 3}, predicate=lambda r: r.files)
        assert new_version in digit.embeds[0]["footer"]["text"]  # the next request: new model

        done = await command(discord_server, "train-status", predicate=lambda r: r.embeds)
        assert fields(done)["State"] == "finished"
        assert fields(done)["Outcome"] == (
            f"The new model VAE {new_version} passed its checks and now serves."
        )

        info = await command(discord_server, "model info", predicate=lambda r: r.embeds)
        assert fields(info)["Version"] == f"VAE {new_version}"
        assert fields(info)["Trained"].startswith("by job #1: 2 epochs on")
        assert fields(info)["Previous version"] == f"VAE {sampler.version}"
        assert fields(info)["Validation −ELBO"].endswith(" nats")
        # The job's per-digit report (its judge, both models) travelled with the new model.
        per_digit = fields(info)["Per digit: fidelity and variety"]
        assert "worst/best" in per_digit and "Worst digit:" in per_digit

        not_allowed = await command(discord_server, "model rollback", user=carol)
        assert not_allowed.ephemeral and "Solo" not in not_allowed.content
        assert bot.sampler.version == new_version

        rolled = await command(discord_server, "model rollback", predicate=lambda r: r.content, timeout=60)
        assert rolled.content == (
            f"Rolled back: VAE {sampler.version} serves again (VAE {new_version} is archived)."
        )
        assert bot.sampler.version == sampler.version
        shipped = await command(
            discord_server, "model info", predicate=lambda r: r.embeds, user=bob
        )  # in Spanish: the shipped model's own report
        assert "peor/mejor" in fields(shipped)["Por dígito: fidelidad y variedad"]
        again = await command(discord_server, "model rollback")
        assert again.content == "There is no previous model to go back to."
