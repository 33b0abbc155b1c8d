"""/train-status and /model info's messages: a run's state, epochs, losses and ETA, a job's
progress and outcome, and the serving model's record."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord

from bot.interactions.embeds import (
    DIGIT_COLOUR,
    EMBED_FIELD_VALUE_LIMIT,
    attach_image,
    clip,
    vae_label,
)
from bot.interactions.i18n import Lang, text
from bot.interactions.responses import Reply
from genai_models.numerals import decimal, percent
from genai_models.vae.training.status import STATUS_UNREADABLE

if TYPE_CHECKING:
    from bot.storage.schema import ModelVersion, TrainingJob
    from genai_models.vae.training.status import TrainingStatus

LOSS_CURVE_FILE = "loss-curve.png"


def training_reply(
    status: TrainingStatus | None,
    curve_png: bytes | None,
    *,
    shipped_version: str | None,
    lang: Lang,
) -> Reply:
    """/train-status: `training_embed`, with the loss curve as its image when there is one."""
    embed = training_embed(status, shipped_version=shipped_version, lang=lang)
    files = [] if curve_png is None else [attach_image(embed, curve_png, LOSS_CURVE_FILE)]
    return Reply(embeds=[embed], files=files)


def training_embed(
    status: TrainingStatus | None, *, shipped_version: str | None, lang: Lang
) -> discord.Embed:
    """State, epoch x/y, losses, ETA and model version; a plain note when nothing ever ran."""
    title = text("train_title", lang)
    if status is None:
        model = vae_label(shipped_version) if shipped_version else text("unknown", lang)
        return discord.Embed(
            title=title, description=text("train_never", lang, model=model), colour=DIGIT_COLOUR
        )
    embed = discord.Embed(title=title, colour=DIGIT_COLOUR)
    state_key = f"state_{status.state}"
    state = text(state_key, lang) if state_key in _STATES else status.state
    embed.add_field(name=text("train_state", lang), value=state)
    embed.add_field(name=text("train_epoch", lang), value=f"{status.epoch} / {status.total_epochs}")
    embed.add_field(
        name=text("train_eta", lang),
        value=format_duration(status.eta_seconds) if status.state == "running" else "—",
    )
    embed.add_field(
        name=text("train_loss", lang),
        value=_losses(status.loss, status.reconstruction_loss, status.kl_loss, lang),
    )
    embed.add_field(
        name=text("train_val_loss", lang),
        value=_losses(status.val_loss, status.val_reconstruction_loss, status.val_kl_loss, lang),
    )
    version = status.model_version or shipped_version
    embed.add_field(name=text("train_model", lang), value=vae_label(version) if version else "—")
    updated = _timestamp(status.updated_at)
    if updated:
        embed.add_field(name=text("train_updated", lang), value=updated)
    # The trainer's note is an English diagnostic: shown to English readers, without the
    # server's paths; a reply in another language keeps to its own words (state and outcome).
    if status.message and lang == "en":
        embed.add_field(
            name=text("train_message", lang),
            value=clip(without_paths(status.message), EMBED_FIELD_VALUE_LIMIT),
        )
    elif status.message and status.message.startswith(STATUS_UNREADABLE):
        embed.add_field(name=text("train_message", lang), value=text("train_status_unreadable", lang))
    return embed


# A file-system path in a diagnostic (/srv/bot/data/x.npz, C:\data\x.npz, ~/x): what a public
# message must not show of the server.
_PATH = re.compile(r"(?<![\w/~])(?:[A-Za-z]:\\|~?/)[^\s'\"()]*[^\s'\"().,;:]")


def without_paths(diagnostic: str) -> str:
    """`diagnostic` with every file-system path replaced by its last part (the file's name)."""
    return _PATH.sub(lambda m: re.split(r"[\\/]", m.group(0))[-1] or "…", diagnostic)


_STATES = {"state_running", "state_finished", "state_failed", "state_interrupted"}


def format_duration(seconds: float | None) -> str:
    """'1 h 05 min', '3 min 20 s', '12 s' or '—' when unknown."""
    if seconds is None or seconds < 0:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _losses(total: float | None, recon: float | None, kl: float | None, lang: Lang) -> str:
    if total is None:
        return "—"
    parts = [f"**{decimal(total, lang, 2)}**"]
    if recon is not None and kl is not None:
        parts.append(f"({decimal(recon, lang, 2)} + KL {decimal(kl, lang, 2)})")
    return " ".join(parts)


def _timestamp(iso: str | None) -> str | None:
    """A Discord timestamp tag, shown in each reader's own time zone."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:  # the status file writes UTC; be explicit so it isn't read as local
        moment = moment.replace(tzinfo=UTC)
    return discord.utils.format_dt(moment, style="R")


PROGRESS_BAR_WIDTH = 20


def progress_bar(done: int, total: int, lang: Lang, width: int = PROGRESS_BAR_WIDTH) -> str:
    """`▰▰▰▱▱… 30%`: how much of the planned epochs are done."""
    share = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = round(share * width)
    return f"`{'▰' * filled}{'▱' * (width - filled)}` {percent(share, lang)}"


def job_outcome(job: TrainingJob, lang: Lang) -> str:
    """Why a job ended as it did, in the reader's language (its reason is a catalogue key)."""
    params = dict((job.metrics or {}).get("reason_params") or {})
    if job.outcome == "swapped":
        version = (job.metrics or {}).get("evaluation", {}).get("version", "?")
        return text("train_outcome_swapped", lang, version=version)
    if "detail" in params:
        # An English diagnostic: English readers get it without the server's paths; others get
        # their language's plain sentence for the reason, without it.
        if lang == "en":
            params["detail"] = without_paths(str(params["detail"]))
        elif job.reason == "train_reason_failed":
            return text("train_reason_failed_plain", lang)
    reason = text(job.reason, lang, **params) if job.reason else text("unknown", lang)
    if job.outcome == "rejected":
        return text("train_outcome_rejected", lang, reason=reason)
    return reason


def job_status_reply(
    job: TrainingJob,
    status: TrainingStatus | None,
    curve_png: bytes | None,
    *,
    last_ended: TrainingJob | None,
    can_resume: bool,
    viewer: discord.Interaction,
    serving_version: str | None,
    lang: Lang,
) -> Reply:
    """/train-status for a job started from chat: the trainer's fields, plus who started it,
    a progress bar, how it (or the last finished job) ended, and whether it can be resumed."""
    # While the bot still judges a finished run's model, the job is running, not finished.
    state = (
        job.state if job.state != "running" or status is None or status.state == "finished" else status.state
    )
    state_key = f"state_{state}"
    state_text = text(state_key, lang) if state_key in _JOB_STATES else state
    if status is None:  # the job's process has not written its first status yet
        embed = discord.Embed(title=text("train_title", lang), colour=DIGIT_COLOUR)
        embed.add_field(name=text("train_state", lang), value=state_text)
    else:
        embed = training_embed(status, shipped_version=serving_version, lang=lang)
        embed.set_field_at(0, name=text("train_state", lang), value=state_text)
    embed.description = progress_bar(job.epoch if status is None else status.epoch, job.total_epochs, lang)
    embed.add_field(
        name=text("train_job", lang),
        inline=False,
        value=text(
            "train_job_line",
            lang,
            job=job.id,
            user=starter(job, viewer, lang),
            since=discord.utils.format_dt(job.created_at, style="R"),
        ),
    )
    if job.state != "running":
        embed.add_field(
            name=text("train_outcome", lang),
            inline=False,
            value=clip(job_outcome(job, lang), EMBED_FIELD_VALUE_LIMIT),
        )
    elif last_ended is not None:
        embed.add_field(
            name=text("train_last_outcome", lang, job=last_ended.id),
            inline=False,
            value=clip(job_outcome(last_ended, lang), EMBED_FIELD_VALUE_LIMIT),
        )
    if can_resume:
        embed.add_field(name=text("train_resume", lang), value=text("train_resume_hint", lang), inline=False)
    files = [] if curve_png is None else [attach_image(embed, curve_png, LOSS_CURVE_FILE)]
    return Reply(embeds=[embed], files=files)


_JOB_STATES = _STATES | {"state_cancelled"}


def model_reply(
    serving: ModelVersion | None, previous: ModelVersion | None, *, loaded_version: str, lang: Lang
) -> Reply:
    """/model info: the serving model, how it was trained and how it scored."""
    embed = discord.Embed(title=text("model_title", lang), colour=DIGIT_COLOUR)
    version = serving.version if serving is not None else loaded_version
    embed.add_field(name=text("model_version", lang), value=vae_label(version))
    summary = (serving.card_summary if serving is not None else None) or {}
    if serving is not None and serving.created_by_job is not None:
        trained = text(
            "model_trained_by_job",
            lang,
            job=serving.created_by_job,
            epochs=summary.get("epochs", "?"),
            digits=summary.get("train_size", "?"),
        )
    else:
        trained = text(
            "model_trained_shipped",
            lang,
            epochs=summary.get("epochs", "?"),
            digits=summary.get("train_size", "?"),
        )
    created = _timestamp(summary.get("created_at"))
    embed.add_field(
        name=text("model_trained", lang), value=f"{trained} {created}" if created else trained, inline=False
    )
    elbo = serving.validation_negative_elbo if serving is not None else None
    elbo_text = "—" if elbo is None else f"{decimal(elbo, lang, 1)} nats"
    embed.add_field(name=text("model_elbo", lang), value=elbo_text)
    fidelity = serving.fidelity if serving is not None else None
    fidelity_text = "—" if fidelity is None else percent(fidelity, lang, 1)
    embed.add_field(name=text("model_fidelity", lang), value=fidelity_text)
    embed.add_field(
        name=text("model_previous", lang), value=vae_label(previous.version) if previous is not None else "—"
    )
    return Reply(embeds=[embed])


def fairness_field(table: str) -> str:
    """A per-digit report's table (genai_models.vae.training.fairness.report_table) as an embed
    field: the table in a code block, then its footer, cut to fit (the footer names the judge
    and the request seeds, which a report may have many of)."""
    rows, _, footer = table.rpartition("\n")
    block = f"```\n{rows}\n```"
    return block + clip(footer, EMBED_FIELD_VALUE_LIMIT - len(block))


def starter(job: TrainingJob, viewer: discord.Interaction, lang: Lang) -> str:
    """Who started `job`, for the reader of `viewer`: a job started in another server says
    only that (its starter is no one this server knows), unless the reader started it."""
    elsewhere = job.guild_id is not None and job.guild_id != viewer.guild_id
    if elsewhere and job.started_by != viewer.user.id:
        return text("train_someone_elsewhere", lang)
    return f"<@{job.started_by}>"
