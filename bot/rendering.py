"""Model outputs → Discord messages: files, embeds, and Discord's length limits.

Image encoding itself (PNG grids, GIFs, charts) lives in `genai_models.imaging` and runs in the
worker pool; this module only wraps finished bytes and text for Discord. Every embed the bot
sends is built here: the `*_reply` functions return a whole message (embeds and the files they
show), so cogs only choose what to draw and what view to attach. Everything generated
by a model is labelled AI-generated with the model's name or version.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord

from bot.i18n import Lang, text
from bot.responses import Reply

if TYPE_CHECKING:
    from genai_models.text import Poem
    from genai_models.vae.training.status import TrainingStatus

# Discord's documented limits.
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
BUTTON_LABEL_LIMIT = 80

STREAM_CURSOR = " ▌"  # shows readers the poem is still being written
POEM_COLOUR = discord.Colour.from_rgb(235, 160, 60)
DIGIT_COLOUR = discord.Colour.from_rgb(90, 140, 230)
ERROR_COLOUR = discord.Colour.from_rgb(200, 80, 80)
PROGRESS_COLOUR = discord.Colour.from_rgb(150, 150, 160)

# What each image is called in its message; embeds show it as attachment://name.
DIGITS_FILE = "digits.png"
MORPH_FILE = "morph.gif"
LATENT_MAP_FILE = "latent-map.png"
HANDWRITING_FILE = "handwriting.png"
LOSS_CURVE_FILE = "loss-curve.png"


def clip(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters, marking the cut with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + "…"


def image_file(data: bytes, filename: str) -> discord.File:
    """Encoded image bytes as an attachment (embeds refer to it as attachment://filename)."""
    return discord.File(io.BytesIO(data), filename=filename)


def ai_label(model: str, lang: Lang) -> str:
    return clip(text("ai_label", lang, model=model), EMBED_FOOTER_LIMIT)


def vae_label(version: str) -> str:
    return f"VAE {version}"


def poem_embed(
    poem: str,
    *,
    topic: str,
    lang: Lang,
    model: str,
    streaming: bool = False,
    note: str | None = None,
) -> discord.Embed:
    """The poem so far (`streaming`) or finished, within the embed description limit.

    Labelled AI-generated with its model in every state a reader can see, the growing text too.
    `note` (a poem cut short, say so) goes in italics under the poem.
    """
    title = clip(text("poem_title", lang, topic=topic), EMBED_TITLE_LIMIT)
    tail = STREAM_CURSOR if streaming else ""
    if note:
        tail += "\n\n*" + clip(note, 200) + "*"
    body = clip(poem, EMBED_DESCRIPTION_LIMIT - len(tail)) + tail
    embed = discord.Embed(title=title, description=body or "…", colour=POEM_COLOUR)
    embed.set_footer(text=ai_label(model, lang))
    return embed


def cut_note(poem: Poem, lang: Lang) -> str | None:
    """What a reader is told under a poem cut short; None for a finished one."""
    if not poem.cut:
        return None
    return text("poem_cut_deadline" if poem.finish_reason == "deadline" else "poem_cut_length", lang)


def poem_status_embed(status: str, *, topic: str, lang: Lang, model: str) -> discord.Embed:
    """A poem's message before its first words: its place in line, or a busy service retried."""
    title = clip(text("poem_title", lang, topic=topic), EMBED_TITLE_LIMIT)
    body = "*" + clip(status, EMBED_DESCRIPTION_LIMIT - 2) + "*"
    embed = discord.Embed(title=title, description=body, colour=POEM_COLOUR)
    embed.set_footer(text=ai_label(model, lang))
    return embed


def notice_embed(message: str) -> discord.Embed:
    """A short notice that replaces a reply (for example a poem the moderation refused)."""
    return discord.Embed(description=clip(message, EMBED_DESCRIPTION_LIMIT), colour=ERROR_COLOUR)


def progress_embed(message: str) -> discord.Embed:
    """A placeholder saying where a request stands (its place in the queue); the result replaces it."""
    return discord.Embed(description=clip(message, EMBED_DESCRIPTION_LIMIT), colour=PROGRESS_COLOUR)


def digits_reply(
    png: bytes, *, digit: int | None, count: int, seed: int, version: str, lang: Lang,
    offset: tuple[float, float] = (0.0, 0.0),
) -> Reply:
    """/digit's grid with its digit, seed and model (and how far Explore moved its style); the
    caller may add a view."""
    if digit is None:
        title = text("any_digit_title", lang)
    elif count == 1:
        title = text("digit_title", lang, digit=digit)
    else:
        title = text("digits_title", lang, digit=digit, count=count)
    embed = _vae_embed(title, version=version, lang=lang)
    embed.add_field(name=text("seed", lang), value=f"`{seed}`")
    embed.add_field(name=text("model", lang), value=vae_label(version))
    if any(offset):
        embed.add_field(name=text("explore_position", lang),
                        value=f"x {offset[0]:+.1f}, y {offset[1]:+.1f}")
    return Reply(embeds=[embed], files=[_show(embed, png, DIGITS_FILE)])


def handwriting_reply(
    png: bytes, *, digit: int, confidence: float, given: bool, version: str, lang: Lang
) -> Reply:
    """/handwriting's ten-digit grid, saying which digit the upload was taken for and why."""
    if given:
        description = text("handwriting_given", lang, digit=digit)
    else:
        description = text("handwriting_read", lang, digit=digit, percent=round(100 * confidence))
    embed = _vae_embed(text("handwriting_title", lang), version=version, lang=lang,
                       description=description)
    embed.add_field(name=text("model", lang), value=vae_label(version))
    return Reply(embeds=[embed], files=[_show(embed, png, HANDWRITING_FILE)])


def morph_reply(
    gif: bytes, *, start: str, end: str, frames: int, seed: int, version: str, lang: Lang
) -> Reply:
    """/morph's GIF; `start` and `end` are how its ends are named (a digit, "your image"…)."""
    title = clip(text("morph_title", lang, start=start, end=end), EMBED_TITLE_LIMIT)
    embed = _vae_embed(title, version=version, lang=lang)
    embed.add_field(name=text("frames", lang), value=str(frames))
    embed.add_field(name=text("seed", lang), value=f"`{seed}`")
    embed.add_field(name=text("model", lang), value=vae_label(version))
    return Reply(embeds=[embed], files=[_show(embed, gif, MORPH_FILE)])


def latent_map_reply(png: bytes, *, digit: int | None, version: str, lang: Lang) -> Reply:
    """/latent-map: one digit across the style plane, or all ten as small multiples."""
    title = (text("latent_map_title", lang) if digit is None
             else text("latent_map_digit_title", lang, digit=digit))
    embed = _vae_embed(title, version=version, lang=lang, description=text("latent_map_text", lang))
    return Reply(embeds=[embed], files=[_show(embed, png, LATENT_MAP_FILE)])


def training_reply(
    status: TrainingStatus | None, curve_png: bytes | None, *, shipped_version: str | None,
    lang: Lang,
) -> Reply:
    """/train-status: `training_embed`, with the loss curve as its image when there is one."""
    embed = training_embed(status, shipped_version=shipped_version, lang=lang)
    files = [] if curve_png is None else [_show(embed, curve_png, LOSS_CURVE_FILE)]
    return Reply(embeds=[embed], files=files)


def _vae_embed(
    title: str, *, version: str, lang: Lang, description: str | None = None
) -> discord.Embed:
    """An embed of the digit model's work, labelled AI-generated with the model's version."""
    embed = discord.Embed(title=title, description=description, colour=DIGIT_COLOUR)
    embed.set_footer(text=ai_label(vae_label(version), lang))
    return embed


def _show(embed: discord.Embed, data: bytes, filename: str) -> discord.File:
    """`data` as an attachment that `embed` shows as its image: each file name is written once,
    so the embed's reference and the attachment cannot drift apart."""
    embed.set_image(url=f"attachment://{filename}")
    return image_file(data, filename)


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
    embed.add_field(
        name=text("train_epoch", lang), value=f"{status.epoch} / {status.total_epochs}"
    )
    embed.add_field(
        name=text("train_eta", lang),
        value=format_duration(status.eta_seconds) if status.state == "running" else "—",
    )
    embed.add_field(
        name=text("train_loss", lang),
        value=_losses(status.loss, status.reconstruction_loss, status.kl_loss),
    )
    embed.add_field(
        name=text("train_val_loss", lang),
        value=_losses(status.val_loss, status.val_reconstruction_loss, status.val_kl_loss),
    )
    version = status.model_version or shipped_version
    embed.add_field(
        name=text("train_model", lang), value=vae_label(version) if version else "—"
    )
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
    return embed


# A file-system path in a diagnostic (/srv/bot/data/x.npz, C:\\data\\x.npz, ~/x): what a public
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


def _losses(total: float | None, recon: float | None, kl: float | None) -> str:
    if total is None:
        return "—"
    parts = [f"**{total:.2f}**"]
    if recon is not None and kl is not None:
        parts.append(f"({recon:.2f} + KL {kl:.2f})")
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


ABOUT_COLOUR = discord.Colour.from_rgb(120, 120, 130)


def about_embed(
    *, poem_model: str | None, digit_card: dict | None, contact: str | None, product: str,
    audit_retention_days: float = 0.0, lang: Lang,
) -> discord.Embed:
    """/about: what the bot does, its models, what it keeps, whom to ask. Only what a user may
    read: model names and versions, never endpoints or keys."""
    embed = discord.Embed(
        title=text("about_title", lang), description=text("about_text", lang), colour=ABOUT_COLOUR
    )
    models = [
        text("about_poem_model", lang, model=poem_model) if poem_model
        else text("about_no_poems", lang)
    ]
    if digit_card is None:
        models.append(text("about_no_digits", lang))
    else:
        train_size = (digit_card.get("data") or {}).get("train_size")
        models.append(text(
            "about_digit_model", lang, version=digit_card["version"],
            # SI grouping (6 000): correct in English and Spanish alike.
            train_size=f"{train_size:,}".replace(",", "\u202f") if isinstance(train_size, int) else None,
        ))
    embed.add_field(name=text("about_models", lang), value=clip("\n".join(models), EMBED_FIELD_VALUE_LIMIT),
                    inline=False)
    if digit_card is not None and digit_card.get("attribution"):
        embed.add_field(name=text("about_credit", lang),
                        value=clip(digit_card["attribution"], EMBED_FIELD_VALUE_LIMIT), inline=False)
    audit = (text("about_audit", lang, days=f"{audit_retention_days:g}") if audit_retention_days > 0
             else text("about_audit_disabled", lang))
    kept = f"{text('about_data_text', lang)}\n{audit}"
    embed.add_field(name=text("about_data", lang), value=clip(kept, EMBED_FIELD_VALUE_LIMIT),
                    inline=False)
    embed.add_field(name=text("about_contact", lang),
                    value=clip(contact or text("about_contact_default", lang), EMBED_FIELD_VALUE_LIMIT),
                    inline=False)
    embed.set_footer(text=clip(product, EMBED_FOOTER_LIMIT))
    return embed
# --- issue 11: training from chat, the model registry ---------------------------------------

PROGRESS_BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = PROGRESS_BAR_WIDTH) -> str:
    """`▰▰▰▱▱… 30%`: how much of the planned epochs are done."""
    share = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = round(share * width)
    return f"`{'▰' * filled}{'▱' * (width - filled)}` {share:.0%}"


def job_outcome(job, lang: Lang) -> str:
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


def job_status_reply(job, status: TrainingStatus | None, curve_png: bytes | None, *,
                     last_ended, can_resume: bool, serving_version: str | None, lang: Lang) -> Reply:
    """/train-status for a job started from chat: the trainer's fields, plus who started it,
    a progress bar, how it (or the last finished job) ended, and whether it can be resumed."""
    # While the bot still judges a finished run's model, the job is running, not finished.
    state = job.state if job.state != "running" or status is None or status.state == "finished" \
        else status.state
    state_key = f"state_{state}"
    state_text = text(state_key, lang) if state_key in _JOB_STATES else state
    if status is None:  # the job's process has not written its first status yet
        embed = discord.Embed(title=text("train_title", lang), colour=DIGIT_COLOUR)
        embed.add_field(name=text("train_state", lang), value=state_text)
    else:
        embed = training_embed(status, shipped_version=serving_version, lang=lang)
        embed.set_field_at(0, name=text("train_state", lang), value=state_text)
    embed.description = progress_bar(job.epoch if status is None else status.epoch, job.total_epochs)
    embed.add_field(name=text("train_job", lang), inline=False, value=text(
        "train_job_line", lang, job=job.id, user=f"<@{job.started_by}>",
        since=discord.utils.format_dt(job.created_at, style="R")))
    if job.state != "running":
        embed.add_field(name=text("train_outcome", lang), inline=False,
                        value=clip(job_outcome(job, lang), EMBED_FIELD_VALUE_LIMIT))
    elif last_ended is not None:
        embed.add_field(name=text("train_last_outcome", lang, job=last_ended.id), inline=False,
                        value=clip(job_outcome(last_ended, lang), EMBED_FIELD_VALUE_LIMIT))
    if can_resume:
        embed.add_field(name=text("train_resume", lang), value=text("train_resume_hint", lang),
                        inline=False)
    files = [] if curve_png is None else [_show(embed, curve_png, LOSS_CURVE_FILE)]
    return Reply(embeds=[embed], files=files)


_JOB_STATES = _STATES | {"state_cancelled"}


def model_reply(serving, previous, *, loaded_version: str, lang: Lang) -> Reply:
    """/model info: the serving model, how it was trained and how it scored."""
    embed = discord.Embed(title=text("model_title", lang), colour=DIGIT_COLOUR)
    version = serving.version if serving is not None else loaded_version
    embed.add_field(name=text("model_version", lang), value=vae_label(version))
    summary = (serving.card_summary if serving is not None else None) or {}
    if serving is not None and serving.created_by_job is not None:
        trained = text("model_trained_by_job", lang, job=serving.created_by_job,
                       epochs=summary.get("epochs", "?"), digits=summary.get("train_size", "?"))
    else:
        trained = text("model_trained_shipped", lang, epochs=summary.get("epochs", "?"),
                       digits=summary.get("train_size", "?"))
    created = _timestamp(summary.get("created_at"))
    embed.add_field(name=text("model_trained", lang),
                    value=f"{trained} {created}" if created else trained, inline=False)
    elbo = serving.validation_negative_elbo if serving is not None else None
    embed.add_field(name=text("model_elbo", lang), value="—" if elbo is None else f"{elbo:.1f} nats")
    fidelity = serving.fidelity if serving is not None else None
    embed.add_field(name=text("model_fidelity", lang),
                    value="—" if fidelity is None else f"{fidelity:.1%}")
    embed.add_field(name=text("model_previous", lang),
                    value=vae_label(previous.version) if previous is not None else "—")
    return Reply(embeds=[embed])
