"""A local certificate authority and signing certificate, for operators who set none.

C2PA readers refuse a self-signed signing certificate, so a root of our own issues one. What
c2pa's validator asks of a signing certificate (C2PA trust model, "Certificate profile"):
X.509 v3; Key Usage present, critical, with digitalSignature; Basic Constraints CA:false; an
Extended Key Usage that is not anyExtendedKeyUsage and includes emailProtection or
documentSigning. The root is a CA (keyCertSign) and stays on this machine with its key.

The signing key is Ed25519: every image the bot draws is signed in a worker thread, and of the
algorithms C2PA allows it is the cheapest to sign with (see bench.content_credentials). A signing
certificate made with another key (an older authority's P-256) is replaced at the next start;
the root and its key stay.

Such a signature proves the file was not changed after this bot signed it (tamper-evident), but
no trust list knows the issuer: readers report it as "untrusted". Operators who want a trusted
signature set GENAI_C2PA_CERT and GENAI_C2PA_KEY to a certificate from a C2PA-accepted issuer.

Files, under `folder` (the bot's data folder / "c2pa"), keys readable by the owner only:
ca.pem, ca.key, signer.pem (signing certificate then the root), signer.key.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from genai_models.imaging.content_credentials import SigningIdentity
from genai_models.imaging.provenance import PRODUCT

log = logging.getLogger(__name__)

CA_DAYS = 3650
SIGNER_DAYS = 730
SIGNING_ALGORITHM = "ed25519"
RENEW_BEFORE_DAYS = 30  # a signing certificate this close to expiry is replaced at start-up
CLOCK_SKEW = datetime.timedelta(minutes=5)  # valid a little before now, for readers' clocks
UNTRUSTED_NOTE = (
    "tamper-evident but not from a trusted issuer: C2PA readers will show the signer as untrusted"
)


def local_identity(folder: Path) -> SigningIdentity:
    """The local authority's signing identity, created under `folder` on first use (and the
    signing certificate renewed when it nears expiry)."""
    folder.mkdir(parents=True, exist_ok=True)
    # Shard processes sharing a data folder start together: one creates the authority and the
    # signing certificate, the others wait and read them (two authorities would leave one
    # process's key beside the other's certificate).
    with _exclusive(folder / ".lock"):
        return _identity(folder)


def _identity(folder: Path) -> SigningIdentity:
    from cryptography import x509

    ca_cert, ca_key = _authority(folder)
    signer_pem, signer_key = folder / "signer.pem", folder / "signer.key"
    renew = True
    if signer_pem.exists() and signer_key.exists():
        leaf = x509.load_pem_x509_certificates(signer_pem.read_bytes())[0]
        left = leaf.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
        renew = left < datetime.timedelta(days=RENEW_BEFORE_DAYS) or not _is_ed25519(leaf)
    if renew:
        chain, key = _issue_signer(ca_cert, ca_key)
        _write(signer_key, key, private=True)
        _write(signer_pem, chain)
        log.info(
            "created a local Content Credentials signing certificate in %s: images are "
            "signed %s (set GENAI_C2PA_CERT and GENAI_C2PA_KEY for a trusted issuer)",
            folder,
            UNTRUSTED_NOTE,
        )
    return SigningIdentity(
        cert_chain=signer_pem.read_bytes(),
        private_key=signer_key.read_bytes(),
        algorithm=SIGNING_ALGORITHM,
        trusted_issuer=False,
    )


def _is_ed25519(certificate) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return isinstance(certificate.public_key(), ed25519.Ed25519PublicKey)


def _authority(folder: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    cert_path, key_path = folder / "ca.pem", folder / "ca.key"
    if cert_path.exists() and key_path.exists():
        return (
            x509.load_pem_x509_certificate(cert_path.read_bytes()),
            serialization.load_pem_private_key(key_path.read_bytes(), password=None),
        )
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{PRODUCT} local authority")
    usage = _key_usage(digital_signature=False, key_cert_sign=True, crl_sign=True)
    cert = (
        _builder(name, name, key.public_key(), CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, _hash())
    )
    _write(key_path, _private_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _issue_signer(ca_cert, ca_key) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = ed25519.Ed25519PrivateKey.generate()
    cert = (
        _builder(_name(f"{PRODUCT} (local, untrusted)"), ca_cert.subject, key.public_key(), SIGNER_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, _hash())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    return chain, _private_pem(key)


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, PRODUCT),
        ]
    )


def _builder(subject, issuer, public_key, days: int):
    from cryptography import x509

    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, digital_signature: bool, key_cert_sign: bool = False, crl_sign: bool = False):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _hash():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _private_pem(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an advisory lock on `lock_path` against other processes (released at exit, even
    when the process dies)."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Atomically, and a key readable by its owner only from the moment it exists."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, path)
