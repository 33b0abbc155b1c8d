"""C2PA Content Credentials: a signed manifest inside every PNG and GIF the product draws.

The IPTC/XMP labels (`provenance`) say an image is AI-made, but anyone can edit them. A C2PA
manifest says the same — a `c2pa.created` action whose digital source type is IPTC's
`trainedAlgorithmicMedia`, the software agent (genai-bot and its version), the model version
and the parameters — and is signed over the file's bytes, so any change after signing shows to
every C2PA reader (Content Credentials viewers, `genai-bot verify`). A person's upload that an
image was made from is recorded as an ingredient by title, format and SHA-256 only: no
thumbnail, no data.

The encoders (`pixels.png_bytes`, `animation.morph_gif`) call `seal` last, after the labels are
written. What signs is installed once by the front-end's start-up (`install`), from the
operator's certificate or the local authority (`local_authority`); with nothing installed
(tests of other features, the benches' unsigned baseline) `seal` returns the bytes as they are.
Signing runs where the image is encoded: the bot's worker threads, never its event loop.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genai_models.errors import GenAIError
from genai_models.imaging.provenance import PRODUCT, TRAINED_ALGORITHMIC_MEDIA

if TYPE_CHECKING:
    from genai_models.imaging.provenance import Provenance

log = logging.getLogger(__name__)

ALGORITHMS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")
# What c2pa's builder does by default and we do not want: a JPEG thumbnail of the image inside
# its own manifest (it made a small /digit PNG many times larger), and reading the file back
# after signing (it roughly doubled the signing time; `genai-bot verify` is where files are read).
BUILDER_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}, "verify": {"verify_after_sign": False}}


class SigningError(GenAIError):
    """Content Credentials cannot be signed: a bad certificate or key, or a failed signature."""

    default_code = "signing_failed"


@dataclass(frozen=True)
class SigningIdentity:
    """Whom the signature names and whether a C2PA trust list can know them: an operator's
    certificate may come from a trusted issuer; the local authority never does."""

    cert_chain: bytes  # PEM: the signing certificate first, then its issuers
    private_key: bytes  # PEM
    algorithm: str = "es256"
    trusted_issuer: bool = True

    @property
    def signer_name(self) -> str:
        """The signing certificate's common name and organisation, as a reader shows them."""
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        subject = x509.load_pem_x509_certificate(self.cert_chain).subject
        names = [
            attribute.value
            for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME)
            for attribute in subject.get_attributes_for_oid(oid)
        ]
        return ", ".join(str(name) for name in dict.fromkeys(names)) or subject.rfc4514_string()


class CredentialSigner:
    """Signs image bytes with one identity; thread-safe (each thread keeps its own c2pa signer,
    as c2pa's handles are not meant to be shared between threads)."""

    def __init__(self, identity: SigningIdentity) -> None:
        if identity.algorithm not in ALGORITHMS:
            raise SigningError(
                f"unknown signing algorithm {identity.algorithm!r}; use one of {', '.join(ALGORITHMS)}"
            )
        self.identity = identity
        self._local = threading.local()
        self._check()

    def _check(self) -> None:
        """Fail at start-up, not at the first user's image: sign a one-pixel PNG now."""
        import io

        from PIL import Image

        from genai_models.imaging.provenance import Provenance

        buffer = io.BytesIO()
        Image.new("L", (1, 1)).save(buffer, format="PNG")
        self.sign(buffer.getvalue(), "image/png", Provenance(model="start-up check"))

    def _handles(self) -> tuple[Any, Any]:
        handles = getattr(self._local, "handles", None)
        if handles is None:
            import c2pa

            try:
                signer = c2pa.Signer.from_info(
                    c2pa.C2paSignerInfo(
                        self.identity.algorithm, self.identity.cert_chain, self.identity.private_key, None
                    )
                )
            except c2pa.C2paError as exc:
                raise SigningError(f"the signing certificate or key cannot be used: {exc}") from None
            handles = self._local.handles = (c2pa.Context(c2pa.Settings.from_dict(BUILDER_SETTINGS)), signer)
        return handles

    def sign(self, data: bytes, mime: str, provenance: Provenance) -> bytes:
        """`data` with a signed manifest embedded, describing how `provenance` made it."""
        import io

        import c2pa

        context, signer = self._handles()
        signed = io.BytesIO()
        try:
            builder = c2pa.Builder(manifest_definition(provenance, mime), context)
            builder.sign(signer, mime, io.BytesIO(data), signed)
        except c2pa.C2paError as exc:
            raise SigningError(f"Content Credentials could not be signed: {exc}") from None
        return signed.getvalue()


def manifest_definition(provenance: Provenance, mime: str) -> dict[str, Any]:
    """The C2PA manifest for an image `provenance` describes."""
    name, _, version = provenance.product.partition(" ")
    agent = {"name": name or PRODUCT, "version": version} if version else {"name": name or PRODUCT}
    parameters: dict[str, Any] = {
        "description": provenance.describe(),
        "model": provenance.model,
        "model_parameters": dict(provenance.parameters),
    }
    created = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": agent,
        "when": provenance.created_iso,
        "parameters": parameters,
    }
    definition: dict[str, Any] = {
        "claim_generator_info": [agent],
        "title": f"{provenance.parameters.get('feature', 'image')}.{mime.rpartition('/')[2]}",
        "format": mime,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [created]}}],
    }
    if provenance.ingredients:
        # inputTo: a person's image the output was made from; listed by hash, never embedded.
        definition["ingredients"] = [
            {
                "title": ingredient.title,
                "format": ingredient.format,
                "relationship": "inputTo",
                "instance_id": f"sha256:{ingredient.sha256}",
                "metadata": {"sha256": ingredient.sha256},
            }
            for ingredient in provenance.ingredients
        ]
        parameters["ingredientIds"] = [f"sha256:{i.sha256}" for i in provenance.ingredients]
    return definition


# --- the one signer a process uses -----------------------------------------------------------

_lock = threading.Lock()
_source: Callable[[], CredentialSigner] | None = None
_signer: CredentialSigner | None = None
_this_thread = threading.local()


def install(source: CredentialSigner | Callable[[], CredentialSigner] | None) -> None:
    """What signs every image from now on: a signer, a function that makes one on first use
    (so a command that draws nothing creates no keys), or None for unsigned images."""
    global _source, _signer
    with _lock:
        if isinstance(source, CredentialSigner):
            _source, _signer = None, source
        else:
            _source, _signer = source, None


def installed() -> CredentialSigner | None:
    """The signer in use, made now if it was installed as a function; None when none is."""
    global _source, _signer
    if _signer is not None or _source is None:
        return _signer
    with _lock:
        if _signer is None and _source is not None:
            _signer, _source = _source(), None
        return _signer


def seal(data: bytes, mime: str, provenance: Provenance | None) -> bytes:
    """`data` signed by the installed signer; unchanged when no signer is installed or no model
    made the image (`provenance` None, e.g. a training chart)."""
    if provenance is None or getattr(_this_thread, "unsigned", False):
        return data
    signer = installed()
    return data if signer is None else signer.sign(data, mime, provenance)


@contextlib.contextmanager
def unsigned() -> Iterator[None]:
    """Images encoded in this thread inside the block are not signed: the benches' baseline,
    measured in the same run and process as the signed images it is compared with."""
    previous = getattr(_this_thread, "unsigned", False)
    _this_thread.unsigned = True
    try:
        yield
    finally:
        _this_thread.unsigned = previous
