"""C2PA Content Credentials signed into the PNGs and GIFs the encoders write, read back with
c2pa's own reader: valid, made by a trained algorithm, naming the model; a changed byte shows."""

from __future__ import annotations

import datetime
import json
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from genai_models.imaging import content_credentials, grid_png, loss_curve_png, morph_gif
from genai_models.imaging.content_credentials import CredentialSigner, SigningError, SigningIdentity
from genai_models.imaging.credential_report import read_credentials
from genai_models.imaging.local_authority import local_identity
from genai_models.imaging.provenance import Ingredient, Provenance
from tests.helpers import TRAINED_ALGORITHMIC_MEDIA, image_of, provenance_in


@pytest.fixture(scope="module")
def authority(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data") / "c2pa"


@pytest.fixture(scope="module")
def signer(authority) -> CredentialSigner:
    return CredentialSigner(local_identity(authority))


@pytest.fixture
def signing(signer):
    """Every image encoded inside the test is signed; nothing is signed after it."""
    content_credentials.install(signer)
    yield signer
    content_credentials.install(None)


def _digits(count: int = 4) -> np.ndarray:
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, 6:22, 12:16] = 255
    return images


def _provenance(**changes) -> Provenance:
    fields = {
        "model": "VAE vae16d-0123456789",
        "parameters": {"feature": "digit", "digit": 1, "count": 4, "seed": 11},
    } | changes
    return Provenance(**fields)


def _flip_pixel_byte(data: bytes, chunk: bytes) -> bytes:
    """One bit of the image data changed: the PNG's IDAT or a GIF frame's pixels."""
    changed = bytearray(data)
    changed[data.index(chunk) + len(chunk) + 8] ^= 0x01
    return bytes(changed)


def test_a_signed_png_says_a_trained_algorithm_made_it_with_which_model_and_settings(signing):
    report = read_credentials(grid_png(_digits(), provenance=_provenance()))
    assert report.valid and not report.changed
    assert report.digital_source_type == TRAINED_ALGORITHMIC_MEDIA and report.trained_algorithm
    assert report.software_agent.startswith("genai-bot")
    assert report.model == "VAE vae16d-0123456789"
    assert report.model_parameters == {"feature": "digit", "digit": 1, "count": 4, "seed": 11}
    assert report.signer.startswith("genai-bot (local, untrusted)")
    assert not report.trusted  # no trust list knows the local authority


def test_the_iptc_labels_are_still_there_after_signing(signing):
    data = grid_png(_digits(), provenance=_provenance())
    assert provenance_in(data)["xmp:DigitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert np.asarray(image_of(data).convert("L")).any()  # still a PNG any viewer opens


def test_a_signed_gif_keeps_every_frame_and_verifies(signing):
    frames = np.linspace(0, 255, 6 * 28 * 28).astype(np.uint8).reshape(6, 28, 28)
    data = morph_gif(frames, size=56, provenance=_provenance(parameters={"feature": "morph"}))
    assert image_of(data).n_frames == 6
    assert "AI-generated image" in provenance_in(data)["Comment"]
    report = read_credentials(data)
    assert report.valid and report.trained_algorithm and report.model == "VAE vae16d-0123456789"


@pytest.mark.parametrize("kind", ["png", "gif"])
def test_one_changed_byte_is_reported_as_changed_after_signing(signing, kind):
    if kind == "png":
        data, chunk = grid_png(_digits(), provenance=_provenance()), b"IDAT"
    else:
        data, chunk = morph_gif(_digits(3), size=56, provenance=_provenance()), b"\x2c\x00\x00"
    assert read_credentials(data).valid
    report = read_credentials(_flip_pixel_byte(data, chunk))
    assert report.has_credentials and report.changed and not report.valid
    assert any("mismatch" in problem for problem in report.problems)


def test_an_upload_is_recorded_as_an_ingredient_by_hash_without_its_bytes(signing):
    upload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8  # stands in for a user's file
    provenance = _provenance(ingredients=(Ingredient.of_upload(upload),))
    data = grid_png(_digits(), provenance=provenance)
    report = read_credentials(data)
    assert report.valid
    (ingredient,) = report.ingredients
    assert ingredient["format"] == "image/png" and ingredient["relationship"] == "inputTo"
    assert ingredient["sha256"] == Ingredient.of_upload(upload).sha256
    assert bytes(range(256)) not in data  # the upload itself is not in the file
    assert b"thumbnail" not in data.lower()  # nor a thumbnail of it (or of the image)


def test_without_a_signer_and_for_charts_nothing_is_signed(signer):
    content_credentials.install(None)
    assert not read_credentials(grid_png(_digits(), provenance=_provenance())).has_credentials
    content_credentials.install(signer)
    try:
        chart = loss_curve_png({"loss": [3.0, 2.0, 1.5]})
    finally:
        content_credentials.install(None)
    assert not read_credentials(chart).has_credentials  # no model drew a training chart


def test_a_signer_installed_as_a_function_is_made_once_on_first_use(signer):
    calls = []
    content_credentials.install(lambda: calls.append(1) or signer)
    try:
        assert calls == []
        grid_png(_digits(), provenance=_provenance())
        grid_png(_digits(), provenance=_provenance())
    finally:
        content_credentials.install(None)
    assert calls == [1]


def test_threads_sign_at_once_and_every_file_verifies(signing):
    results: list[bytes] = []

    def draw(seed: int) -> None:
        for _ in range(5):
            results.append(grid_png(_digits(), provenance=_provenance(parameters={"seed": seed})))

    threads = [threading.Thread(target=draw, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20 and all(read_credentials(data).valid for data in results)


def test_the_local_authority_issues_a_certificate_c2pa_accepts_and_keeps_its_keys_private(authority, signer):
    chain = x509.load_pem_x509_certificates((authority / "signer.pem").read_bytes())
    leaf, root = chain
    assert leaf.issuer == root.subject != leaf.subject  # not self-signed: c2pa refuses those
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert (
        ExtendedKeyUsageOID.EMAIL_PROTECTION
        in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for key in ("ca.key", "signer.key"):
        assert stat.S_IMODE((authority / key).stat().st_mode) == 0o600
    assert local_identity(authority).cert_chain == (authority / "signer.pem").read_bytes()  # kept


def test_the_local_signing_key_is_ed25519_and_an_older_p256_one_is_replaced_under_the_same_root(tmp_path):
    folder = tmp_path / "c2pa"
    identity = local_identity(folder)
    assert identity.algorithm == "ed25519"
    assert isinstance(_leaf(identity).public_key(), ed25519.Ed25519PublicKey)
    # What an older authority left: a P-256 signing certificate from the same root, far from expiry.
    root_pem = (folder / "ca.pem").read_bytes()
    root = x509.load_pem_x509_certificate(root_pem)
    root_key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    old_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    old = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "older signer")]))
        .issuer_name(root.subject)
        .public_key(old_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(root_key, hashes.SHA256())
    )
    (folder / "signer.pem").write_bytes(old.public_bytes(serialization.Encoding.PEM) + root_pem)
    (folder / "signer.key").write_bytes(
        old_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    renewed = local_identity(folder)
    assert renewed.algorithm == "ed25519" and _leaf(renewed).issuer == root.subject
    assert (folder / "ca.pem").read_bytes() == root_pem  # the root stays
    content_credentials.install(CredentialSigner(renewed))
    try:
        data = grid_png(_digits(), provenance=_provenance())
    finally:
        content_credentials.install(None)
    assert read_credentials(data, trust_anchors=root_pem).trusted


def _leaf(identity: SigningIdentity) -> x509.Certificate:
    return x509.load_pem_x509_certificates(identity.cert_chain)[0]


def test_with_the_local_authority_as_trust_anchor_the_signer_is_trusted(signing, authority):
    data = grid_png(_digits(), provenance=_provenance())
    report = read_credentials(data, trust_anchors=(authority / "ca.pem").read_bytes())
    assert report.valid and report.trusted


def test_a_self_signed_certificate_is_refused_when_the_signer_is_made(tmp_path, authority):
    # The authority's own root: self-signed, a CA, no document-signing use.
    identity = SigningIdentity(
        cert_chain=(authority / "ca.pem").read_bytes(), private_key=(authority / "ca.key").read_bytes()
    )
    with pytest.raises(SigningError):
        CredentialSigner(identity)


def test_the_manifest_names_the_software_and_the_created_action():
    definition = content_credentials.manifest_definition(_provenance(), "image/png")
    (action,) = definition["assertions"][0]["data"]["actions"]
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert action["softwareAgent"]["name"] == "genai-bot"
    assert json.dumps(definition)  # plain JSON, as c2pa takes it


def test_processes_sharing_a_data_folder_make_one_authority_and_all_sign_with_it(tmp_path):
    """Shard processes start together on one data folder: one creates the certificates, the
    others read them; every one ends with the same signing certificate."""
    import subprocess
    import sys

    make = (
        "import hashlib, sys; from pathlib import Path; "
        "from genai_models.imaging.local_authority import local_identity; "
        "print(hashlib.sha256(local_identity(Path(sys.argv[1])).cert_chain).hexdigest())"
    )
    folder = tmp_path / "data" / "c2pa"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", make, str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    outcomes = [(*p.communicate(timeout=60), p.returncode) for p in processes]
    assert [code for _, _, code in outcomes] == [0] * 4, [err.decode() for _, err, _ in outcomes]
    assert len({out for out, _, _ in outcomes}) == 1
    assert sorted(p.name for p in folder.iterdir()) == [
        ".lock",
        "ca.key",
        "ca.pem",
        "signer.key",
        "signer.pem",
    ]
