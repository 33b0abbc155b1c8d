"""Reading Content Credentials back: is the signature valid, who signed, what made the image,
was the file changed after signing. `genai-bot verify` prints these; tests assert on them.

c2pa's reader checks the signature and the hash of the file's bytes; its validation results
list what failed. A signature whose certificate no trust list knows (the local authority's) is
still a valid, tamper-evident signature: it is reported as valid but untrusted, not as broken.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from genai_models.imaging.provenance import TRAINED_ALGORITHMIC_MEDIA

# Failure codes that say nothing about the file's integrity: who the signer is (trust) or that
# revocation could not be checked offline.
_TRUST_ONLY = ("signingCredential.untrusted", "signingCredential.ocsp")
# Codes that mean the bytes differ from what was signed.
_CHANGED_MARKERS = ("mismatch", "hashedURI", "dataHash", "boxesHash", "claimSignature")


@dataclass(frozen=True)
class CredentialReport:
    """What one file's Content Credentials say."""

    has_credentials: bool
    valid: bool = False  # signed, and the signature and the file's hashes check out
    changed: bool = False  # the file's bytes differ from what was signed
    trusted: bool = False  # the signer chains to a trust anchor the reader was given
    signer: str | None = None
    digital_source_type: str | None = None
    software_agent: str | None = None
    model: str | None = None
    model_parameters: dict = field(default_factory=dict)
    ingredients: tuple[dict, ...] = ()
    problems: tuple[str, ...] = ()  # failure codes with c2pa's explanation

    @property
    def trained_algorithm(self) -> bool:
        return self.digital_source_type == TRAINED_ALGORITHMIC_MEDIA


def read_credentials(data: bytes, *, trust_anchors: bytes | None = None) -> CredentialReport:
    """The Content Credentials inside `data` (a PNG, GIF or any format c2pa reads)."""
    import c2pa

    context = None
    if trust_anchors:
        context = c2pa.Context(
            c2pa.Settings.from_dict(
                {"verify": {"verify_trust": True}, "trust": {"user_anchors": trust_anchors.decode()}}
            )
        )
    try:
        reader = c2pa.Reader(io.BytesIO(data), context=context) if context else c2pa.Reader(io.BytesIO(data))
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "no JUMBF" in str(exc):
            return CredentialReport(has_credentials=False)
        return CredentialReport(has_credentials=False, problems=(f"unreadable: {exc}",))
    with reader:
        store = json.loads(reader.json())
        state = reader.get_validation_state() or ""
    return _report(store, state)


def _report(store: dict, state: str) -> CredentialReport:
    manifest = store.get("manifests", {}).get(store.get("active_manifest"), {})
    failures = (
        store.get("validation_results", {}).get("activeManifest", {}).get("failure")
        or store.get("validation_status")
        or []
    )
    problems = tuple(
        f"{f.get('code')}: {f.get('explanation', '')}".rstrip(": ")
        for f in failures
        if not str(f.get("code", "")).startswith(_TRUST_ONLY)
    )
    changed = any(marker in problem for problem in problems for marker in _CHANGED_MARKERS)
    signature = manifest.get("signature_info") or {}
    signer = (
        ", ".join(
            str(part)
            for part in dict.fromkeys((signature.get("common_name"), signature.get("issuer")))
            if part
        )
        or None
    )
    created = _created_action(manifest)
    agent = created.get("softwareAgent") or {}
    if isinstance(agent, dict):
        agent = " ".join(str(part) for part in (agent.get("name"), agent.get("version")) if part)
    parameters = created.get("parameters") or {}
    return CredentialReport(
        has_credentials=True,
        valid=state in ("Valid", "Trusted") and not problems,
        changed=changed,
        trusted=state == "Trusted",
        signer=signer,
        digital_source_type=created.get("digitalSourceType"),
        software_agent=agent or None,
        model=parameters.get("model"),
        model_parameters=dict(parameters.get("model_parameters") or {}),
        ingredients=tuple(
            {key: ingredient.get(key) for key in ("title", "format", "relationship")}
            | {"sha256": (ingredient.get("metadata") or {}).get("sha256")}
            for ingredient in manifest.get("ingredients", [])
        ),
        problems=problems,
    )


def _created_action(manifest: dict) -> dict:
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("action") == "c2pa.created":
                    return action
    return {}
