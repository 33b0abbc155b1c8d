"""What every generated image says about itself, inside the file: made by AI, by what, how, when.

In Discord the "AI-generated" label is message text; once someone downloads the PNG or GIF and
posts it elsewhere, only the file is left. So the encoders (`png_bytes`, `morph_gif`) take a
`Provenance` and write it into the file:

- PNG: iTXt chunks. `XML:com.adobe.xmp` holds an XMP packet with the IPTC digital source type
  `trainedAlgorithmicMedia`, the field image tools and platforms read to tell AI-made media
  apart; `Description`, `Software`, `Source`, `Creation Time` and `Comment` (the parameters as
  JSON) say the same to anyone who lists a PNG's text chunks.
- GIF: a comment extension with the same sentence, and the XMP packet in GIF's standard XMP
  application extension.
- Optionally a small, low-contrast "AI" in the bottom-right corner, for the eye; the operator
  can switch it off (GENAI_IMAGE_MARK), the metadata stays.

These labels can be edited by anyone. `content_credentials` signs the same facts into the file
as a C2PA manifest (after these labels are written), so a change after signing shows.

Only NumPy and Pillow: front-ends label images without loading TensorFlow.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

PRODUCT = "genai-bot"
# IPTC NewsCodes "Digital Source Type": media created by a model trained on sampled content.
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
XMP_KEYWORD = "XML:com.adobe.xmp"  # the PNG keyword (and Pillow's `info["xmp"]`) for XMP

MARK_TEXT = "AI"
MARK_FONT_SIZE = 10
MARK_PADDING = 2
# Mid grey: readable on the black digit sheets and the white charts, loud on neither.
MARK_GREY = 128
MARK_MIN_SIDE = 48  # smaller images (icons, tests' tiny grids) get no mark: it would cover them


@functools.cache
def product_version() -> str:
    """'genai-bot 0.1.0', or just the name where the package is not installed (a bare checkout)."""
    try:
        return f"{PRODUCT} {metadata.version(PRODUCT)}"
    except metadata.PackageNotFoundError:
        return PRODUCT


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# The first bytes of the upload formats users send, to name an ingredient's format.
_UPLOAD_SIGNATURES = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class Ingredient:
    """A person's image that an output was made from, named by its hash: the file records that
    a human's image went in without carrying the image (it is the user's)."""

    title: str
    format: str
    sha256: str

    @classmethod
    def of_upload(cls, data: bytes | np.ndarray) -> Ingredient:
        """An upload as its bytes, or as the pixels a caller already decoded it into."""
        if isinstance(data, np.ndarray):
            raw, media = np.ascontiguousarray(data).tobytes(), "application/octet-stream"
        else:
            raw = bytes(data)
            media = next(
                (kind for magic, kind in _UPLOAD_SIGNATURES if raw.startswith(magic)),
                "application/octet-stream",
            )
        return cls(title="a person's uploaded image", format=media, sha256=hashlib.sha256(raw).hexdigest())


@dataclass(frozen=True)
class Provenance:
    """Who made an image and how. `parameters` are what reproduces it (seed, digit, frames…)."""

    model: str
    parameters: Mapping[str, str | int | float | None] = field(default_factory=dict)
    created: datetime = field(default_factory=_now)
    mark: bool = True
    product: str = field(default_factory=product_version)
    ingredients: tuple[Ingredient, ...] = ()  # people's images it was made from (hashes only)

    @property
    def created_iso(self) -> str:
        return self.created.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def describe(self) -> str:
        """One English, ASCII sentence: GIF comments are meant to be 7-bit text."""
        settings = ", ".join(f"{name} {value}" for name, value in self.parameters.items())
        sentence = f"AI-generated image, made by {self.product} with the model {self.model}"
        if settings:
            sentence += f" ({settings})"
        return f"{sentence}, {self.created_iso}."

    def parameters_json(self) -> str:
        return json.dumps(dict(self.parameters), sort_keys=True, ensure_ascii=True)

    def text_fields(self) -> dict[str, str]:
        """The PNG keywords written as iTXt chunks, besides the XMP packet."""
        return {
            "Description": self.describe(),
            "Software": self.product,
            "Source": self.model,
            "Creation Time": self.created_iso,
            "Comment": self.parameters_json(),
            "DigitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        }

    def xmp(self) -> str:
        """An XMP packet: the IPTC digital source type, plus description, tool and date."""
        return (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about=""'
            ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
            f"<Iptc4xmpExt:DigitalSourceType>{TRAINED_ALGORITHMIC_MEDIA}"
            "</Iptc4xmpExt:DigitalSourceType>"
            f"<xmp:CreatorTool>{escape(self.product)}</xmp:CreatorTool>"
            f"<xmp:CreateDate>{self.created_iso}</xmp:CreateDate>"
            '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(self.describe())}</rdf:li></rdf:Alt></dc:description>"
            "</rdf:Description></rdf:RDF></x:xmpmeta>"
            '<?xpacket end="r"?>'
        )

    def png_info(self) -> PngImagePlugin.PngInfo:
        info = PngImagePlugin.PngInfo()
        for keyword, value in self.text_fields().items():
            info.add_itxt(keyword, value)
        info.add_itxt(XMP_KEYWORD, self.xmp())
        return info

    def gif_extensions(self) -> bytes:
        """A comment extension and an XMP application extension, to go before the first frame."""
        return _gif_comment(self.describe().encode("ascii", "replace")) + _gif_xmp(self.xmp().encode("utf-8"))


def _gif_comment(text: bytes) -> bytes:
    blocks = b"".join(
        bytes([len(part)]) + part for part in (text[i : i + 255] for i in range(0, len(text), 255))
    )
    return b"!\xfe" + blocks + b"\x00"


def _gif_xmp(packet: bytes) -> bytes:
    """Adobe's XMP-in-GIF: the packet raw, then a 'magic trailer' (0x01, 0xFF … 0x00, 0x00)
    that makes GIF readers, which read sub-blocks, step over the packet and stop cleanly."""
    trailer = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    return b"!\xff\x0bXMP DataXMP" + packet + trailer


@functools.cache
def _mark_mask() -> np.ndarray:
    """The corner mark's glyphs as a boolean mask, tight around the text."""
    font = ImageFont.load_default(MARK_FONT_SIZE)
    left, top, right, bottom = font.getbbox(MARK_TEXT)
    canvas = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(canvas).text((-left, -top), MARK_TEXT, fill=255, font=font)
    mask = np.asarray(canvas) >= 128
    mask.setflags(write=False)
    return mask


def add_mark(pixels: np.ndarray) -> np.ndarray:
    """A copy of a (H, W) grey or (H, W, 3) RGB uint8 image with the mark in its bottom-right
    corner (or `pixels` itself when the image is too small to carry it)."""
    height, width = pixels.shape[:2]
    if min(height, width) < MARK_MIN_SIDE:
        return pixels
    mask = _mark_mask()
    marked = np.array(pixels, copy=True)
    bottom, right = height - MARK_PADDING, width - MARK_PADDING
    corner = marked[bottom - mask.shape[0] : bottom, right - mask.shape[1] : right]
    corner[mask] = MARK_GREY
    return marked
