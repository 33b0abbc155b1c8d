"""Small helpers the tests of several packages share: test data paths and image conversions."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MNIST_SLICE = FIXTURES / "mnist-600.npz"
MNIST_SAMPLE = FIXTURES / "mnist-first-100.npz"  # the image tests' digits, in a fixed order

# Key-shaped but plainly fake, and distinctive: any leak of it into logs or messages is easy to
# find, and no secret scanner mistakes it for a real key.
TEST_API_KEY = "sk-test-FAKE-loopback-only-key"


def digit_image(mnist_slice, label: int, index: int = 0) -> np.ndarray:
    """A real digit of class `label` as a (28, 28) float array with ink = 1."""
    return mnist_slice.images[mnist_slice.labels == label][index, :, :, 0]


def png_of(array, *, scale: int = 8, invert: bool = True) -> bytes:
    """A digit array (ink = 1) drawn as a user would upload it: dark ink on white, enlarged."""
    pixels = np.asarray(array, dtype="float32")
    if invert:
        pixels = 1.0 - pixels
    image = Image.fromarray((pixels * 255).astype("uint8"), mode="L")
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def copy_model(source: Path, target: Path) -> Path:
    """The files of a trained model folder copied into `target`, to damage without harm."""
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


IPTC_NS = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def provenance_in(data: bytes) -> dict[str, str]:
    """What an image file says about itself, read back with Pillow: a PNG's text chunks, or a
    GIF's comment (as "Comment") and its IPTC digital source type (from the XMP extension,
    which Pillow does not parse for GIFs, so it is found in the bytes)."""
    import xml.etree.ElementTree as ET

    with Image.open(io.BytesIO(data)) as image:
        if image.format == "PNG":
            found = dict(image.text)
            xmp = found.get("XML:com.adobe.xmp", "")
        else:
            found = {"Comment": image.info.get("comment", b"").decode("ascii")}
            start, end = data.find(b"<x:xmpmeta"), data.find(b"</x:xmpmeta>")
            xmp = data[start : end + len(b"</x:xmpmeta>")].decode() if start >= 0 else ""
    if xmp:
        start, end = xmp.find("<x:xmpmeta"), xmp.find("</x:xmpmeta>")
        tree = ET.fromstring(xmp[start : end + len("</x:xmpmeta>")])
        element = tree.find(f".//{IPTC_NS}DigitalSourceType")
        if element is not None:
            found["xmp:DigitalSourceType"] = element.text or ""
    return found


def assert_labelled_ai(data: bytes, *, version: str, **parameters) -> dict[str, str]:
    """`data` says inside the file that a model made it: the IPTC source type, the model's
    version, and each of `parameters` (e.g. seed=11) as written by the product."""
    found = provenance_in(data)
    assert found.get("xmp:DigitalSourceType") == TRAINED_ALGORITHMIC_MEDIA, found
    sentence = found.get("Description") or found["Comment"]
    assert sentence.startswith("AI-generated image, made by genai-bot"), sentence
    assert f"VAE {version}" in sentence, sentence
    for name, value in parameters.items():
        assert f"{name} {value}" in sentence, (name, value, sentence)
    return found


# What a reply interrupted by a shutdown says (the catalogue's shutdown_interrupted, in English).
INTERRUPTED = "I had to restart before this was finished. Please try again in a minute."


def final_state(server, ix) -> str:
    """What the user of interaction `ix` sees last: 'result' (an attachment), 'interrupted'
    (the shutdown's message), or 'other: …' describing it (a bug the test will show)."""
    replies = server.messages_for(ix)
    message = (replies[-1].message if replies else None) or {}
    if message.get("attachments"):
        return "result"
    embeds = message.get("embeds") or []
    if embeds and embeds[0].get("description") == INTERRUPTED:
        return "interrupted"
    return f"other: {replies}"


# Every slash command the bot publishes besides /poem (published only with a text endpoint), and
# the message commands: the one list the command-tree and sync tests compare against.
SLASH_COMMANDS = frozenset({
    "digit", "morph", "handwriting", "latent-map", "train-status", "train", "model", "about",
    "settings", "preferences",
})  # fmt: skip
POEM_MENU, HANDWRITING_MENU = "Write a poem about this", "Handwriting → digits"


def refused_as_not_a_digit(sampler, upload: bytes) -> bool:
    """Whether /handwriting's sampler refuses `upload` (always with image_not_a_digit)."""
    from genai_models.errors import InvalidInputError

    try:
        sampler.handwriting(upload)
    except InvalidInputError as exc:
        assert exc.code == "image_not_a_digit"
        return True
    return False
