"""Users' own images, checked in two steps.

First what Discord tells us about an attachment (type, size, pixels), checked before the
command defers so a wrong file is refused at once; then, after downloading, the decoder in
`genai_models.vae.serving.preprocess` refuses non-images and decompression bombs whatever the
metadata claimed.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from bot.exceptions import AttachmentError
from genai_models.vae.serving.preprocess import MAX_SIDE, MAX_UPLOAD_BYTES, size_in_mb

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 15.0
_MIB = 1024 * 1024


def safe_name(attachment: discord.Attachment) -> str:
    """The file name as users see it, made harmless inside `code` markdown."""
    name = attachment.filename.replace("`", "'")
    return name if len(name) <= 80 else name[:79] + "…"


def check_attachment(attachment: discord.Attachment) -> None:
    """Refuse, from Discord's metadata alone, files that are not images or are too big."""
    name = safe_name(attachment)
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    # No content type: let the decoder decide. One that is declared must be a raster image.
    if content_type and (not content_type.startswith("image/") or content_type == "image/svg+xml"):
        raise AttachmentError(code="attachment_not_image", name=name)
    if attachment.size > MAX_UPLOAD_BYTES:
        raise _too_large(name, attachment.size)
    width, height = attachment.width or 0, attachment.height or 0
    if width > MAX_SIDE or height > MAX_SIDE:
        raise AttachmentError(
            code="attachment_too_many_pixels",
            name=name,
            width=width,
            height=height,
            max_side=MAX_SIDE,
        )


async def download(attachment: discord.Attachment) -> bytes:
    """The attachment's bytes, refusing anything larger than its declared, checked size."""
    name = safe_name(attachment)
    try:
        async with asyncio.timeout(DOWNLOAD_TIMEOUT_S):
            data = await attachment.read()
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("downloading attachment %s failed: %s", attachment.id, exc)
        raise AttachmentError(code="attachment_unreadable", name=name) from None
    if len(data) > MAX_UPLOAD_BYTES:  # the metadata lied
        raise _too_large(name, len(data))
    return data


def _too_large(name: str, size: int) -> AttachmentError:
    return AttachmentError(
        code="attachment_too_large", name=name, size_mb=size_in_mb(size), limit_mb=MAX_UPLOAD_BYTES // _MIB
    )
