"""`genai-bot verify FILE…`: read the Content Credentials of images, this bot's or anyone's.

For each file: whether its credentials are valid, who signed them, what made the image (a
trained algorithm? which software and model), and whether the file was changed after signing.
Exit status 0 when every file carries valid credentials (with --trust: signed by an issuer it
names), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bot.cli import CliError, add_command
from bot.settings import Settings

DESCRIPTION = (
    "Check the C2PA Content Credentials inside image files: valid or not, who signed them, what "
    "made the image, and whether the file was changed after signing. Exit status 0 when every "
    "file's credentials are valid (with --trust, and signed by an issuer it names)."
)


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "verify", help="check the Content Credentials inside image files",
        description=DESCRIPTION, environment=(),
    )  # fmt: skip
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path, help="PNG, GIF, JPEG…")
    parser.add_argument(
        "--trust",
        metavar="PEM",
        type=Path,
        help="certificates to trust as issuers, e.g. the bot's local authority "
        "(GENAI_DATA_DIR/c2pa/ca.pem); without it no signer is reported as trusted",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.set_defaults(handler=handle_verify)


def handle_verify(args: argparse.Namespace, settings: Settings) -> int:
    from genai_models.imaging.credential_report import read_credentials

    anchors = None if args.trust is None else _trust_anchors(args.trust)
    status = 0
    for path in args.files:
        try:
            data = _file_to_check(path)
        except OSError as exc:
            problem = f"cannot read: {exc.strerror or exc}"
            print(json.dumps({"file": str(path), "error": problem}) if args.json else f"{path}: {problem}")
            status = 1
            continue
        report = read_credentials(data, trust_anchors=anchors)
        # With --trust the question is "signed by one of these?": another issuer's valid
        # signature (every genai-bot's own local authority signs alike) does not pass.
        if not report.valid or (anchors is not None and not report.trusted):
            status = 1
        if args.json:
            print(json.dumps({"file": str(path), **describe(report)}, ensure_ascii=False))
        else:
            print(f"{path}:\n" + "\n".join(f"  {line}" for line in lines(report, anchors)))
    return status


MAX_CHECKED_BYTES = 256 * 2**20  # far above any image the bot makes; a file is read whole


def _file_to_check(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_CHECKED_BYTES (OSError otherwise)."""
    import errno
    import stat

    with path.open("rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > MAX_CHECKED_BYTES:
            raise OSError(errno.EFBIG, f"{info.st_size / 2**20:.0f} MB, more than this checks")
        return file.read()


def _trust_anchors(path: Path) -> bytes:
    """--trust's file, once it holds PEM certificates (the issuer's, not its key or an image)."""
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", exit_code=2) from None
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CliError(
            f"--trust {path}: no PEM certificate in it; give the issuer's certificate, such as "
            "the bot's GENAI_DATA_DIR/c2pa/ca.pem",
            exit_code=2,
        ) from None
    return data


def describe(report) -> dict:
    return {
        "has_credentials": report.has_credentials,
        "valid": report.valid,
        "changed_after_signing": report.changed,
        "trusted_issuer": report.trusted,
        "signed_by": report.signer,
        "digital_source_type": report.digital_source_type,
        "trained_algorithm": report.trained_algorithm,
        "software": report.software_agent,
        "model": report.model,
        "parameters": report.model_parameters,
        "ingredients": list(report.ingredients),
        "problems": list(report.problems),
    }


def lines(report, anchors: bytes | None = None) -> list[str]:
    """The report as a person reads it (`anchors`: what --trust gave)."""
    if not report.has_credentials:
        return ["no Content Credentials", *report.problems]
    if report.valid:
        # Only --trust makes an issuer trusted here, even one whose own name says "untrusted"
        # (the local authority's certificates say so for every other reader).
        trust = "issuer trusted with --trust" if report.trusted else "signer not on a trust list"
        if anchors and not report.trusted:
            trust = "but NOT signed by an issuer --trust names"
        verdict = f"valid Content Credentials ({trust})"
    else:
        verdict = "INVALID Content Credentials"
    made = (
        "a trained algorithm (AI-generated)"
        if report.trained_algorithm
        else report.digital_source_type or "not stated"
    )
    tool = ", ".join(
        part for part in (report.software_agent, report.model and f"model {report.model}") if part
    )
    result = [
        verdict,
        f"signed by: {report.signer or 'unknown'}",
        f"made by: {made}" + (f", with {tool}" if tool else ""),
    ]
    if report.model_parameters:
        result.append(
            "parameters: " + ", ".join(f"{name} {value}" for name, value in report.model_parameters.items())
        )
    for ingredient in report.ingredients:
        result.append(
            f"made from: {ingredient.get('title')} ({ingredient.get('format')}, "
            f"sha256 {ingredient.get('sha256')}; not embedded)"
        )
    result.append("changed after signing: " + ("YES" if report.changed else "no"))
    result += [f"problem: {problem}" for problem in report.problems]
    return result
