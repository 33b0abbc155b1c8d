"""What signing Content Credentials costs per image: a /digit PNG and a /morph GIF.

Run with `python -m bench.content_credentials`. The same real MNIST digits (the test fixture
that ships in the repository) are encoded with their IPTC labels, unsigned (the baseline: what
every image cost before) and signed by a local authority like the bot's, interleaved in the
same run so machine load hits both alike. Prints medians, the ratio to the baseline, the bytes
the manifest adds, and the signing time alone (signed − unsigned).

Then the signature alone, interleaved: with the local authority's Ed25519 key (what the bot
does) against a P-256 key from the same root (what it did before, the baseline): wall and CPU
time per signature. `bench.bot_latency` measures what signing does to /digit's end-to-end
latency (`/digit` against `/digit-unsigned`).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.arguments import bench_parser
from bench.imaging_provenance import digits, morph_frames
from genai_models.imaging import content_credentials, grid_png, local_authority, morph_gif
from genai_models.imaging.content_credentials import CredentialSigner, SigningIdentity
from genai_models.imaging.local_authority import local_identity
from genai_models.imaging.provenance import Provenance

REPEATS = 50


def compare(title: str, encode: Callable[[], bytes], repeats: int) -> None:
    def timed_unsigned() -> tuple[float, int]:
        with content_credentials.unsigned():
            start = time.perf_counter()
            data = encode()
        return time.perf_counter() - start, len(data)

    def timed_signed() -> tuple[float, int]:
        start = time.perf_counter()
        data = encode()
        return time.perf_counter() - start, len(data)

    timed_unsigned(), timed_signed()  # warm up: first encoder and c2pa handles
    unsigned, signed = [], []
    for _ in range(repeats):
        unsigned.append(timed_unsigned())
        signed.append(timed_signed())
    base = statistics.median(t for t, _ in unsigned) * 1000
    ours = statistics.median(t for t, _ in signed) * 1000
    added = signed[0][1] - unsigned[0][1]
    print(f"{title}, median of {repeats} (interleaved, same run)")
    print(f"  labelled, unsigned {base:7.2f} ms  ×1.00  {unsigned[0][1] / 1024:6.1f} KiB")
    print(
        f"  labelled + signed  {ours:7.2f} ms  ×{ours / base:4.2f}  {signed[0][1] / 1024:6.1f} KiB"
        f"  (+{added} bytes; signing {ours - base:.2f} ms)"
    )


def p256_signer(folder: Path) -> CredentialSigner:
    """A signer like the local authority's before it moved to Ed25519: a P-256 (es256) signing
    certificate from the same root."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    ca_cert, ca_key = local_authority._authority(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    name = local_authority._name("P-256 bench signer")
    cert = (
        local_authority._builder(name, ca_cert.subject, key.public_key(), 1)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(local_authority._key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, local_authority._hash())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    return CredentialSigner(SigningIdentity(chain, local_authority._private_pem(key), "es256", False))


def compare_signing(
    title: str, data: bytes, mime: str, signer: CredentialSigner, before: CredentialSigner, repeats: int
) -> None:
    provenance = Provenance(model="VAE bench", parameters={"feature": "digit", "seed": 1})
    ways = {
        "Ed25519 (now)": lambda: signer.sign(data, mime, provenance),
        "P-256 (before)": lambda: before.sign(data, mime, provenance),
    }
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for sign in ways.values():
        sign()  # warm up
    for _ in range(repeats):
        for name, sign in ways.items():
            wall, cpu = time.perf_counter(), time.thread_time()
            sign()
            timings[name].append((time.perf_counter() - wall, time.thread_time() - cpu))
    print(f"signing alone, {title}, median of {repeats} (interleaved, same run)")
    base = statistics.median(w for w, _ in timings["P-256 (before)"]) * 1000
    for name in ways:
        wall = statistics.median(w for w, _ in timings[name]) * 1000
        cpu = statistics.median(c for _, c in timings[name]) * 1000
        print(f"  {name:15s} {wall:6.3f} ms wall  ×{wall / base:4.2f}  {cpu:6.3f} ms CPU")


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.content_credentials", __doc__)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    images = digits()
    frames = morph_frames(images)
    provenance = Provenance(model="VAE bench", parameters={"feature": "digit", "seed": 1})
    with tempfile.TemporaryDirectory() as folder:
        signer = CredentialSigner(local_identity(Path(folder) / "c2pa"))
        content_credentials.install(signer)
        try:
            compare(
                "/digit PNG, 1 digit (the default count)",
                lambda: grid_png(images[:1], provenance=provenance),
                args.repeats,
            )
            compare(
                "/digit PNG, 25 digits", lambda: grid_png(images[:25], provenance=provenance), args.repeats
            )
            compare(
                "46-frame 224 px /morph GIF",
                lambda: morph_gif(frames, size=224, frame_ms=50, boomerang=True, provenance=provenance),
                args.repeats,
            )
            with content_credentials.unsigned():
                png = grid_png(images[:1], provenance=provenance)
                gif = morph_gif(frames, size=224, frame_ms=50, boomerang=True, provenance=provenance)
            before = p256_signer(Path(folder) / "c2pa")
            compare_signing("/digit PNG, 1 digit", png, "image/png", signer, before, args.repeats)
            compare_signing("46-frame 224 px /morph GIF", gif, "image/gif", signer, before, args.repeats)
        finally:
            content_credentials.install(None)


if __name__ == "__main__":
    main()
