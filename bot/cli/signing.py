"""Who signs the Content Credentials of the images this process draws, from the settings.

Every `genai-bot` command installs the signer before its handler runs (`install_signer`), so
the bot's images and the CLI's files carry the same credentials. The bot makes it at start-up,
so its log says at once which kind of signature its images get; a CLI command makes it when it
first draws, so commands that draw nothing create no keys.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from genai_models.imaging import content_credentials
from genai_models.imaging.content_credentials import CredentialSigner, SigningError, SigningIdentity

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

LOCAL_AUTHORITY_FOLDER = "c2pa"  # under the data folder


def make_signer(settings: Settings, *, level: int = logging.INFO) -> CredentialSigner:
    """The operator's certificate when set, else the local authority's (created on first use).
    `level`: of the line saying which (the bot's log says it at start-up; a CLI command, which
    prints only its own result, says it at DEBUG)."""
    if settings.c2pa_cert is not None and settings.c2pa_key is not None:
        try:
            identity = SigningIdentity(
                cert_chain=settings.c2pa_cert.read_bytes(),
                private_key=settings.c2pa_key.read_bytes(),
                algorithm=settings.c2pa_alg,
                trusted_issuer=True,
            )
        except OSError as exc:
            raise SigningError(
                f"cannot read GENAI_C2PA_CERT or GENAI_C2PA_KEY: {exc.strerror or exc} ({exc.filename})"
            ) from None
        signer = CredentialSigner(identity)
        log.log(level, "Content Credentials are signed by %s (GENAI_C2PA_CERT)", identity.signer_name)
        return signer
    from genai_models.imaging.local_authority import UNTRUSTED_NOTE, local_identity

    folder = settings.data_dir / LOCAL_AUTHORITY_FOLDER
    try:
        identity = local_identity(folder)
    except OSError as exc:
        which = f" ({Path(exc.filename).name})" if exc.filename else ""
        raise SigningError(
            f"cannot create or use the local signing certificate in {folder}: "
            f"{exc.strerror or exc}{which}. It lives in the data folder (GENAI_DATA_DIR, here "
            f"{settings.data_dir}): point that at a folder this user may write"
        ) from None
    signer = CredentialSigner(identity)
    # Not a WARNING: the default set-up, not a fault (and a failing start stays one line).
    log.log(
        level,
        "Content Credentials are signed by this bot's local certificate authority (%s): %s",
        folder,
        UNTRUSTED_NOTE,
    )
    return signer


def install_signer(settings: Settings, *, now: bool) -> None:
    """Install the signer for this process: made `now`, or on the first image drawn."""
    if now:
        content_credentials.install(make_signer(settings))
    else:
        content_credentials.install(lambda: make_signer(settings, level=logging.DEBUG))
