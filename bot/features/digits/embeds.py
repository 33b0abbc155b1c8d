"""The digit commands' messages: each returns a whole Reply (embeds and the files they show),
labelled AI-generated with the model's version; the cog only chooses what to draw and the view."""

from __future__ import annotations

from bot.interactions.embeds import EMBED_TITLE_LIMIT, attach_image, clip, vae_embed, vae_label
from bot.interactions.i18n import Lang, text
from bot.interactions.responses import Reply
from genai_models.numerals import percent, signed

# What each image is called in its message; embeds show it as attachment://name.
# What each image is called in its message; embeds show it as attachment://name.
DIGITS_FILE = "digits.png"
MORPH_FILE = "morph.gif"
LATENT_MAP_FILE = "latent-map.png"
HANDWRITING_FILE = "handwriting.png"


def digits_reply(
    png: bytes,
    *,
    digit: int | None,
    count: int,
    seed: int,
    version: str,
    lang: Lang,
    offset: tuple[float, float] = (0.0, 0.0),
    note: str | None = None,
) -> Reply:
    """/digit's grid with its digit, seed and model (and how far Explore moved its style); the
    caller may add a view. `note` (the model changed since the grid was first drawn) is its
    description."""
    if digit is None:
        title = text("any_digit_title", lang)
    elif count == 1:
        title = text("digit_title", lang, digit=digit)
    else:
        title = text("digits_title", lang, digit=digit, count=count)
    embed = vae_embed(title, version=version, lang=lang, description=note)
    embed.add_field(name=text("seed", lang), value=f"`{seed}`")
    embed.add_field(name=text("model", lang), value=vae_label(version))
    if any(offset):
        x, y = (signed(value, lang, 1) for value in offset)
        embed.add_field(name=text("explore_position", lang), value=f"x {x}, y {y}")
    return Reply(embeds=[embed], files=[attach_image(embed, png, DIGITS_FILE)])


def handwriting_reply(
    png: bytes, *, digit: int, confidence: float, given: bool, version: str, lang: Lang
) -> Reply:
    """/handwriting's ten-digit grid, saying which digit the upload was taken for and why."""
    if given:
        description = text("handwriting_given", lang, digit=digit)
    else:
        description = text("handwriting_read", lang, digit=digit, percent=percent(confidence, lang))
    embed = vae_embed(text("handwriting_title", lang), version=version, lang=lang, description=description)
    embed.add_field(name=text("model", lang), value=vae_label(version))
    return Reply(embeds=[embed], files=[attach_image(embed, png, HANDWRITING_FILE)])


def morph_reply(
    gif: bytes,
    *,
    start: str,
    end: str,
    frames: int,
    seed: int,
    version: str,
    lang: Lang,
    note: str | None = None,
) -> Reply:
    """/morph's GIF; `start` and `end` are how its ends are named (a digit, "your image"…)."""
    title = clip(text("morph_title", lang, start=start, end=end), EMBED_TITLE_LIMIT)
    embed = vae_embed(title, version=version, lang=lang, description=note)
    embed.add_field(name=text("frames", lang), value=str(frames))
    embed.add_field(name=text("seed", lang), value=f"`{seed}`")
    embed.add_field(name=text("model", lang), value=vae_label(version))
    return Reply(embeds=[embed], files=[attach_image(embed, gif, MORPH_FILE)])


def latent_map_reply(png: bytes, *, digit: int | None, version: str, lang: Lang) -> Reply:
    """/latent-map: one digit across the style plane, or all ten as small multiples."""
    title = (
        text("latent_map_title", lang) if digit is None else text("latent_map_digit_title", lang, digit=digit)
    )
    embed = vae_embed(title, version=version, lang=lang, description=text("latent_map_text", lang))
    return Reply(embeds=[embed], files=[attach_image(embed, png, LATENT_MAP_FILE)])
