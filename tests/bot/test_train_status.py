"""/train-status through the real discord.py client: before any training, and mid-run."""

from __future__ import annotations

import pytest

from genai_models.vae.training.status import TrainingStatus, now_iso, write_status
from tests.helpers import image_of

DISCORD_WINDOW_S = 3.0


def _fields(reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}


def _running_status() -> TrainingStatus:
    """Three of ten epochs done, 12 s each, as the training job would have written it."""
    status = TrainingStatus(
        state="running", epoch=0, total_epochs=10, started_at=now_iso(), updated_at=now_iso(),
        model_version="vae-test-7",
    )  # fmt: skip
    for epoch, loss in enumerate((180.0, 150.5, 141.25), start=1):
        logs = {
            "loss": loss, "reconstruction_loss": loss - 6.0, "kl_loss": 6.0,
            "val_loss": loss + 2.0, "val_reconstruction_loss": loss - 4.5, "val_kl_loss": 6.5,
        }  # fmt: skip
        status.record_epoch(epoch, logs, seconds_per_epoch=12.0)
    return status


@pytest.mark.asyncio
async def test_before_any_training_it_says_so_and_names_the_shipped_model(
    discord_server, start_bot, sampler, tmp_path
):
    async with start_bot(training_dir=tmp_path / "never-trained"):
        ix = await discord_server.inject_command("train-status")
        reply = await discord_server.wait_for_reply(ix, lambda r: r.embeds)
    embed = reply.embeds[0]
    assert embed["title"] == "Training status"
    assert embed["description"] == (
        f"No training has run yet. The bot uses the model shipped with it (VAE {sampler.version})."
    )
    assert reply.files == [] and "fields" not in embed
    assert not reply.ephemeral
    assert reply.elapsed < DISCORD_WINDOW_S


@pytest.mark.asyncio
async def test_a_running_job_shows_state_epoch_losses_eta_version_and_a_loss_curve(
    discord_server, start_bot, tmp_path
):
    write_status(tmp_path / "run", _running_status())
    async with start_bot(training_dir=tmp_path / "run"):
        ix = await discord_server.inject_command("train-status")
        reply = await discord_server.wait_for_reply(ix, lambda r: r.files)
        spanish = await discord_server.inject_command("train-status", user=discord_server.bob)
        es_reply = await discord_server.wait_for_reply(spanish, lambda r: r.files)
    fields = _fields(reply)
    assert fields["State"] == "running"
    assert fields["Epoch"] == "3 / 10"
    assert fields["Loss"] == "**141.25** (135.25 + KL 6.00)"
    assert fields["Validation loss"].startswith("**143.25**")
    assert fields["Time left"] == "1 min 24 s"  # 7 epochs × 12 s
    assert fields["Model version"] == "VAE vae-test-7"
    assert fields["Updated"].startswith("<t:") and fields["Updated"].endswith(":R>")
    curve = reply.files[0]
    assert curve.filename == "loss-curve.png"
    assert image_of(curve.data).format == "PNG"
    assert image_of(curve.data).size == (640, 360)
    assert reply.embeds[0]["image"]["url"] == "attachment://loss-curve.png"
    es_fields = _fields(es_reply)
    assert es_fields["Estado"] == "en curso" and es_fields["Época"] == "3 / 10"


@pytest.mark.asyncio
async def test_an_unreadable_status_file_is_reported_not_crashed_on(discord_server, start_bot, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "status.json").write_text("{half a json")
    async with start_bot(training_dir=tmp_path / "run"):
        ix = await discord_server.inject_command("train-status")
        reply = await discord_server.wait_for_reply(ix, lambda r: r.embeds)
        ix = await discord_server.inject_command("train-status", user=discord_server.bob)
        es_reply = await discord_server.wait_for_reply(ix, lambda r: r.embeds)
    fields = _fields(reply)
    assert fields["State"] == "failed"
    assert "status file unreadable" in fields["Note"]
    assert reply.files == []
    # A Spanish reader is told too, in Spanish.
    assert _fields(es_reply)["Nota"] == "No se puede leer el archivo de estado del entrenamiento."


def test_the_loss_curve_speaks_the_readers_language(tmp_path):
    from bot.features.training.cog import read_status_and_curve

    write_status(tmp_path, _running_status())
    curves = {lang: read_status_and_curve(tmp_path, lang)[1] for lang in ("en", "es")}
    assert all(image_of(curve).format == "PNG" for curve in curves.values())
    # The same lines, labelled "época" and "pérdida (validación)…" for a Spanish reader.
    assert curves["en"] != curves["es"]
    assert image_of(curves["en"]).size == image_of(curves["es"]).size
