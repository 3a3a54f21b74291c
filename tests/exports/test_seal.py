"""The system's seal: its identity made once (or supplied by the site), PAdES seals that validate, and fail after
one changed byte or an appended update; embedded files read back; `ecrf init-db` makes the identity."""
from __future__ import annotations

import hashlib
import io
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pypdf import PdfReader
from sealing import append_update, flip_in_content_stream, tiny_pdf

from ecrf.cli import main
from ecrf.exports import seal
from ecrf.infra.config import from_environment
from ecrf.study.definition import STUDY_NAME


def _der(certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


# -- the identity ------------------------------------------------------------------------------------------------

def test_the_identity_is_made_once_private_and_reused(tmp_path):
    assert seal.load_identity(tmp_path) is None
    made = seal.ensure_identity(tmp_path)
    key_file, cert_file = tmp_path / "seal" / "seal-key.pem", tmp_path / "seal" / "seal-cert.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert cert_file.exists()
    again, loaded = seal.ensure_identity(tmp_path), seal.load_identity(tmp_path)
    assert again.fingerprint == loaded.fingerprint == made.fingerprint
    assert again.key.private_numbers() == made.key.private_numbers()
    digest = hashlib.sha256(_der(made.certificate)).hexdigest().upper()
    assert made.fingerprint == ":".join(digest[i:i + 2] for i in range(0, 64, 2))

    certificate = made.certificate
    assert certificate.subject == certificate.issuer  # self-signed
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "ecrf system seal"
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == STUDY_NAME
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=365 * 30) <= lifetime <= timedelta(days=365 * 30 + 10)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert isinstance(made.key, ec.EllipticCurvePrivateKey) and made.key.curve.name == "secp256r1"


def test_processes_racing_to_make_it_end_with_one_identity(tmp_path):
    start = threading.Barrier(8)

    def make(_):
        start.wait()
        return seal.ensure_identity(tmp_path).fingerprint

    with ThreadPoolExecutor(8) as pool:
        fingerprints = set(pool.map(make, range(8)))
    assert fingerprints == {seal.load_identity(tmp_path).fingerprint}
    assert sorted(p.name for p in (tmp_path / "seal").iterdir()) == ["seal-cert.pem", "seal-key.pem"]


def test_a_key_without_its_certificate_is_an_error_not_an_unsealed_system(tmp_path):
    seal.ensure_identity(tmp_path)
    (tmp_path / "seal" / "seal-cert.pem").unlink()
    with pytest.raises(seal.SealError, match="seal-key.pem exists without"):
        seal.load_identity(tmp_path)


def _site_identity(directory):
    """A site's own seal: an RSA 3072 key whose certificate a (site) CA issued; the PEM has the chain after it."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Site 01 CA")])
    now = datetime.now(timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Site 01 casebook seal")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(usage, critical=True).sign(ca_key, hashes.SHA256()))
    key_path, cert_path = directory / "site-key.pem", directory / "site-cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    # the CA first: the signing certificate is found by its key, not by its place in the file
    cert_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM) + leaf.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path, leaf, ca


def test_a_supplied_key_and_certificate_win_over_the_instance_ones(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    own = seal.ensure_identity(instance)
    key_path, cert_path, leaf, ca = _site_identity(tmp_path)
    monkeypatch.setenv("ECRF_SEAL_KEY", str(key_path))
    monkeypatch.setenv("ECRF_SEAL_CERT", str(cert_path))
    settings = from_environment(instance)
    assert (settings["SEAL_KEY_PATH"], settings["SEAL_CERT_PATH"]) == (str(key_path), str(cert_path))

    identity = seal.load_identity(instance, settings["SEAL_KEY_PATH"], settings["SEAL_CERT_PATH"])
    assert _der(identity.certificate) == _der(leaf) and [_der(c) for c in identity.chain] == [_der(ca)]
    assert identity.fingerprint != own.fingerprint
    sealed = seal.seal_pdf(tiny_pdf(), identity)
    status = seal.validate(sealed, identity)
    assert status.ok and status.signer == "Site 01 casebook seal" and status.fingerprint == identity.fingerprint
    foreign = seal.validate(sealed, own)  # the instance's identity is not the one in force
    assert foreign.intact and not foreign.trusted and "not this system's seal" in foreign.problem
    with pytest.raises(seal.SealError, match="together"):
        seal.load_identity(instance, str(key_path), None)
    with pytest.raises(seal.SealError, match="no certificate"):
        seal.load_identity(instance, str(instance / "seal" / "seal-key.pem"), str(cert_path))


# -- sealing and validating --------------------------------------------------------------------------------------

@pytest.fixture
def identity(tmp_path):
    return seal.ensure_identity(tmp_path / "instance")


def test_the_seal_validates_as_a_certification_of_the_whole_file(identity):
    original = tiny_pdf(pages=3)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    sealed = seal.seal_pdf(original, identity, attachments={"note.txt": b"hello"})
    assert sealed.startswith(original)  # one incremental update: the original bytes are untouched
    status = seal.validate(sealed, identity)
    assert status.ok and status.signed and status.intact and status.covers_whole_file and status.problem is None
    assert status.signer == f"ecrf system seal, {STUDY_NAME}"
    assert before - timedelta(seconds=1) <= status.signed_at <= datetime.now(timezone.utc)
    # what a PDF reader shows: a PAdES certification signature (DocMDP), no changes permitted
    reader = PdfReader(io.BytesIO(sealed))
    assert len(reader.pages) == 3
    docmdp = reader.trailer["/Root"]["/Perms"]["/DocMDP"].get_object()
    assert docmdp["/SubFilter"] == "/ETSI.CAdES.detached"
    assert docmdp["/Reference"][0].get_object()["/TransformParams"]["/P"] == 1
    assert docmdp["/Reason"] == "Certified copy of the trial's data"


def test_one_changed_byte_in_the_signed_range_breaks_the_seal(identity):
    sealed = seal.seal_pdf(tiny_pdf(), identity)
    changed, position = flip_in_content_stream(sealed)
    byte_range = PdfReader(io.BytesIO(sealed)).trailer["/Root"]["/Perms"]["/DocMDP"].get_object()["/ByteRange"]
    assert position < byte_range[1]  # inside the first signed part, the original page's content
    status = seal.validate(changed, identity)
    assert status.signed and not status.intact and not status.ok
    assert status.problem == "its signed bytes were changed"
    assert seal.validate(sealed, identity).ok  # the same check passes on the file as sealed


def test_an_update_appended_after_sealing_is_detected(identity):
    sealed = seal.seal_pdf(tiny_pdf(), identity)
    updated = append_update(sealed)
    assert PdfReader(io.BytesIO(updated)).metadata.title == "edited after sealing"
    status = seal.validate(updated, identity)
    assert status.signed and status.trusted and not status.intact and not status.covers_whole_file
    assert status.problem == "an update was appended to it (the file now has 3 revisions)"
    assert seal.sealed_revision(updated) == sealed


def test_attachments_round_trip_sealed_or_not(identity):
    content = '{"subject":"01-S001","note":"Ärztin, 36.8 °C"}'.encode() * 200
    attachments = {seal.CONTENT_NAME: content, "second.bin": bytes(range(256))}
    sealed = seal.seal_pdf(tiny_pdf(), identity, attachments=attachments)
    assert seal.attachment(sealed, seal.CONTENT_NAME) == content
    assert seal.attachment(sealed, "second.bin") == bytes(range(256))
    assert seal.attachment(sealed, "absent.json") is None
    assert seal.attachment(tiny_pdf(), seal.CONTENT_NAME) is None

    embedded_only = seal.seal_pdf(tiny_pdf(), None, attachments=attachments)
    assert seal.attachment(embedded_only, seal.CONTENT_NAME) == content
    assert set(PdfReader(io.BytesIO(embedded_only)).attachments) == set(attachments)  # another reader finds them
    unsigned = seal.validate(embedded_only, identity)
    assert not unsigned.signed and not unsigned.ok and "not signed" in unsigned.problem
    assert seal.sealed_revision(embedded_only) is None


def test_a_seal_by_another_key_is_intact_but_not_this_systems(identity, tmp_path):
    other = seal.ensure_identity(tmp_path / "elsewhere")
    sealed = seal.seal_pdf(tiny_pdf(), other)
    status = seal.validate(sealed, identity)
    assert status.intact and not status.trusted and not status.ok
    assert other.fingerprint in status.problem
    alone = seal.validate(sealed)  # no certificate to trust: integrity only
    assert alone.intact and not alone.trusted and "no system certificate" in alone.problem


def test_what_is_not_a_pdf_is_unreadable(identity):
    for data in (b"", b"PK\x03\x04 a zip", b"%PDF-1.7\nnot really a pdf"):
        with pytest.raises(seal.Unreadable):
            seal.validate(data, identity)
        with pytest.raises(seal.Unreadable):
            seal.attachment(data, seal.CONTENT_NAME)


# -- ecrf init-db ------------------------------------------------------------------------------------------------

def _init_db(db_url, instance, monkeypatch):
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    return CliRunner().invoke(main, ["init-db"])


def test_init_db_makes_the_seal_and_prints_its_fingerprint(db_url, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    first = _init_db(db_url, instance, monkeypatch)
    assert first.exit_code == 0, first.output
    identity = seal.load_identity(instance)
    assert f"SHA-256 fingerprint {identity.fingerprint}" in first.output
    assert stat.S_IMODE((instance / "seal" / "seal-key.pem").stat().st_mode) == 0o600
    second = _init_db(db_url, instance, monkeypatch)
    assert second.exit_code == 0 and f"SHA-256 fingerprint {identity.fingerprint}" in second.output


def test_init_db_with_a_supplied_seal_makes_none(db_url, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    key_path, cert_path, leaf, _ = _site_identity(tmp_path)
    monkeypatch.setenv("ECRF_SEAL_KEY", str(key_path))
    monkeypatch.setenv("ECRF_SEAL_CERT", str(cert_path))
    result = _init_db(db_url, instance, monkeypatch)
    assert result.exit_code == 0, result.output
    assert not (instance / "seal").exists()
    supplied = seal.load_identity(instance, key_path, cert_path)
    assert f"seal certificate {cert_path}: SHA-256 fingerprint {supplied.fingerprint}" in result.output
    monkeypatch.setenv("ECRF_SEAL_CERT", str(tmp_path / "missing.pem"))
    broken = _init_db(db_url, instance, monkeypatch)
    assert broken.exit_code == 2 and "missing.pem" in broken.output
