"""The system's signing identity and the PAdES seal of the PDFs it exports (the one home of pyHanko).

* ``Identity``: the system's private key and certificate (and chain), loaded by ``load_identity(instance_path,
  key_path=None, cert_path=None)``; created once by ``ensure_identity(instance_path)`` at ``ecrf init-db``.
* ``seal_pdf(data, identity, *, attachments={}, reason="...") -> bytes``: embeds the attachments (name -> bytes)
  as PDF embedded files, then signs the whole file (PAdES) with ``identity``; with ``identity=None`` only embeds.
* ``validate(data, identity) -> SealStatus``, ``attachment(data, name)``, ``sealed_revision(data)``.
* ``CONTENT_NAME``: the embedded file a casebook carries its canonical content in
  (ecrf.casebook.record.canonical(content(record))).

The seal is a *certification* signature with DocMDP "no changes allowed" (PAdES baseline B-B, SHA-256): it
declares the file final, so any PDF reader shows it as certified and flags any later change, even an added
annotation or a second signature, as a violation of the certification, rather than as an allowed later revision
(an approval signature would let a reader show a file with a filled-in form or a new signature as still "valid").
An exported copy is never meant to be changed, so nothing is given up. :func:`validate` is stricter still: the
signature must cover the entire file, so even the updates pyHanko's policy tolerates (document metadata, added
validation data) count as an alteration.
"""
from __future__ import annotations

import hashlib
import io
import os
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from ecrf.study.definition import STUDY_NAME, STUDY_OID

CONTENT_NAME = "casebook-content.json"
SEAL_DIRECTORY = "seal"
KEY_FILE = "seal-key.pem"
CERT_FILE = "seal-cert.pem"
COMMON_NAME = "ecrf system seal"
VALIDITY = timedelta(days=365 * 30 + 7)  # 30 years, leap days included
FIELD_NAME = "SystemSeal"
#: how long a second process waits for the first to finish writing the identity it is creating
_CREATION_WAIT_SECONDS = 10.0
#: what a damaged or foreign file raises while being read
_UNREADABLE = (PdfError, ValueError, KeyError, TypeError, IndexError, zlib.error)


class SealError(RuntimeError):
    """The configured seal key or certificate cannot be used; the message names the file."""


@dataclass(frozen=True)
class Identity:
    """The system's private key and certificate, with the certificates between it and its root (if any)."""

    key: object  # a cryptography private key (EC or RSA)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate's DER, as ``openssl x509 -fingerprint -sha256`` prints it."""
        return _fingerprint(self.certificate.public_bytes(serialization.Encoding.DER))


def _fingerprint(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


# --- the identity ----------------------------------------------------------------------------------------------


def _new_identity() -> Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, STUDY_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, STUDY_OID)])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + VALIDITY)
                   .add_extension(usage, critical=True)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .sign(key, hashes.SHA256()))
    return Identity(key, certificate)


def ensure_identity(instance_path) -> Identity:
    """The identity kept under ``<instance>/seal/``, created on first use: a new EC P-256 key (mode 600) and a
    self-signed certificate for it. Two processes racing here end with one identity: the key file is created
    exclusively, and the certificate appears (atomically) only once the key is written in full."""
    directory = Path(instance_path) / SEAL_DIRECTORY
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    if key_path.exists():
        return _wait_for(key_path, cert_path)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    made = _new_identity()
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process is creating it
        return _wait_for(key_path, cert_path)
    with os.fdopen(fd, "wb") as out:
        out.write(made.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        out.flush()
        os.fsync(out.fileno())
    partial = cert_path.with_name(f"{CERT_FILE}.{os.getpid()}.tmp")
    partial.write_bytes(made.certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(partial, cert_path)
    return made


def _wait_for(key_path: Path, cert_path: Path) -> Identity:
    deadline = time.monotonic() + _CREATION_WAIT_SECONDS
    while not cert_path.exists():
        if time.monotonic() > deadline:
            raise SealError(f"{key_path} exists without {cert_path.name}: its creation was interrupted; remove the "
                            f"key file to create a new seal identity")
        time.sleep(0.05)
    return _load(key_path, cert_path)


def load_identity(instance_path, key_path=None, cert_path=None) -> Identity | None:
    """The system's identity (key and certificate): the configured files (``ECRF_SEAL_KEY``, ``ECRF_SEAL_CERT``:
    PEM; the certificate file may carry its chain after it), else those ensure_identity made under the instance
    folder; None when neither exists (exports are then unsealed)."""
    if key_path or cert_path:
        if not (key_path and cert_path):
            raise SealError("ECRF_SEAL_KEY and ECRF_SEAL_CERT are set together: the key and its certificate")
        return _load(Path(key_path), Path(cert_path))
    directory = Path(instance_path) / SEAL_DIRECTORY
    key_file, cert_file = directory / KEY_FILE, directory / CERT_FILE
    if not key_file.exists():
        return None
    if not cert_file.exists():
        raise SealError(f"{key_file} exists without {CERT_FILE}: run `ecrf init-db` again after removing the key")
    return _load(key_file, cert_file)


def _load(key_path: Path, cert_path: Path) -> Identity:
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SealError(f"seal key {key_path}: {exc}") from None
    try:
        certificates = x509.load_pem_x509_certificates(cert_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SealError(f"seal certificate {cert_path}: {exc}") from None
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    mine = [c for c in certificates if c.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public]
    if not mine:
        raise SealError(f"no certificate in {cert_path} is for the key in {key_path}")
    return Identity(key, mine[0], tuple(c for c in certificates if c is not mine[0]))


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class _Signer(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses its key again for every signature it makes, and parsing an RSA 3072 key
    checks it (~170 ms, most of a seal); this one signs with the key the identity loaded (and checked) once."""

    def __init__(self, identity: Identity):
        key = asn1_keys.PrivateKeyInfo.load(identity.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        super().__init__(signing_cert=_asn1(identity.certificate), signing_key=key,
                         cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in identity.chain]))
        self._key = identity.key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            mechanism = None
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa":
            return self._key.sign(data, ec.ECDSA(digest))
        if mechanism == "rsassa_pkcs1v15":
            return self._key.sign(data, PKCS1v15(), digest)
        return super().sign_raw(data, digest_algorithm)  # other kinds of key, as pyHanko signs with them


# --- sealing ---------------------------------------------------------------------------------------------------


def seal_pdf(data: bytes, identity: Identity | None, *, attachments: dict[str, bytes] | None = None,
             reason: str = "Certified copy of the trial's data") -> bytes:
    """``data`` with ``attachments`` embedded, signed by ``identity`` (unsigned when it is None), in one
    incremental update: the bytes of ``data`` stay as they were, at the start of the result."""
    if identity is None and not attachments:
        return data
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    for name, payload in (attachments or {}).items():
        stream = embed.EmbeddedFileObject.from_file_data(
            writer, payload, mime_type="application/json" if name.endswith(".json") else None)
        embed.embed_file(writer, embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=stream,
                                                description="The data this copy certifies (canonical JSON)"
                                                if name == CONTENT_NAME else None))
    out = io.BytesIO()
    if identity is None:
        writer.write(out)
        return out.getvalue()
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES, reason=reason, name=COMMON_NAME)
    try:
        signers.PdfSigner(metadata, signer=_Signer(identity)).sign_pdf(
            writer, output=out, bytes_reserved=_reserved(identity))
    except SigningError as exc:
        raise SealError(f"the PDF could not be sealed: {exc}") from exc
    return out.getvalue()


def _reserved(identity: Identity) -> int:
    """Room for the signature container (hex digits: twice its bytes): the certificates it carries, the signed
    attributes and a signature of any usual key size fit in 4 kB besides. Given, pyHanko need not size it by
    making a trial signature first (a third of the sealing time)."""
    certificates = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in (identity.certificate,
                                                                                 *identity.chain))
    return 2 * (certificates + 4096)


# --- reading back ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealStatus:
    """What the seal of a file says. ``intact``: the signed bytes are unchanged and nothing was added after them;
    ``trusted``: the signer is the system's certificate (the one given to :func:`validate`)."""

    intact: bool
    signed: bool
    signer: str | None = None  # "CN, O" of the signing certificate
    signed_at: datetime | None = None  # as the signer declared it (PAdES B-B carries no trusted time)
    covers_whole_file: bool = False
    problem: str | None = None
    trusted: bool = False
    fingerprint: str | None = None  # SHA-256 of the signing certificate

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted


class Unreadable(ValueError):
    """Not a PDF, or a PDF whose structure cannot be read."""


def _reader(data: bytes) -> PdfFileReader:
    if not data.lstrip()[:5] == b"%PDF-":
        raise Unreadable("not a PDF file")
    try:
        return PdfFileReader(io.BytesIO(data), strict=False)
    except _UNREADABLE as exc:
        raise Unreadable(f"the PDF cannot be read: {exc}") from None


def validate(data: bytes, identity: Identity | None = None) -> SealStatus:
    """The seal of ``data`` checked against ``identity``'s certificate as the one trust root: the seal is the
    system's when it was made with exactly that certificate (a site's CA-issued certificate included), which is
    then also checked for its validity period and key usage. Without an identity (or for a foreign signer) the
    signature's own certificate is used: integrity is checked, trust is not given. Raises :class:`Unreadable`
    for what is not a readable PDF."""
    reader = _reader(data)
    try:
        signatures = reader.embedded_regular_signatures
        embedded = signatures[0] if signatures else None
        certificate = embedded.signer_cert if embedded else None
    except _UNREADABLE as exc:
        raise Unreadable(f"the PDF's signature cannot be read: {exc}") from None
    if embedded is None:
        return SealStatus(intact=False, signed=False, problem="the file carries no seal (it is not signed)")
    fingerprint = _fingerprint(certificate.dump())
    ours = identity is not None and fingerprint == identity.fingerprint
    root = _asn1(identity.certificate) if ours else certificate
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(embedded, context, skip_diff=True)
    except _UNREADABLE as exc:
        return SealStatus(intact=False, signed=True, problem=f"the seal cannot be checked: {exc}",
                          fingerprint=fingerprint)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    unchanged = status.intact and status.valid
    problems = []
    if not unchanged:
        problems.append("its signed bytes were changed")
    if not whole:
        problems.append(f"an update was appended to it (the file now has {reader.total_revisions} revisions)")
    if identity is None:
        problems.append("no system certificate to check the signer against")
    elif not ours:
        problems.append(f"signed by a certificate that is not this system's seal ({fingerprint})")
    elif unchanged and not status.trusted:  # a broken signature is not checked for trust
        problems.append(f"the system's certificate does not validate ({status.trust_problem_indic})")
    names = certificate.subject.native
    return SealStatus(intact=unchanged and whole, signed=True,
                      signer=", ".join(v for v in (names.get("common_name"), names.get("organization_name")) if v),
                      signed_at=status.signer_reported_dt, covers_whole_file=whole,
                      problem="; ".join(problems) or None, trusted=ours and status.trusted, fingerprint=fingerprint)


def sealed_revision(data: bytes) -> bytes | None:
    """The file as it was when sealed: the bytes up to the end of the seal's signed range (None when unsigned)."""
    signatures = _reader(data).embedded_regular_signatures
    if not signatures:
        return None
    byte_range = signatures[0].sig_object["/ByteRange"]
    return data[:int(byte_range[2]) + int(byte_range[3])]


def attachment(data: bytes, name: str) -> bytes | None:
    """The embedded file ``name`` of ``data`` (the last one of that name), or None. Raises :class:`Unreadable`."""
    reader = _reader(data)
    try:
        names = _entry(reader.root, "/Names")
        tree = _entry(names, "/EmbeddedFiles") if names is not None else None
        found = None
        for key, spec in _name_tree(tree) if tree is not None else ():
            if key == name:
                found = spec
        return None if found is None else found["/EF"]["/F"].data
    except _UNREADABLE as exc:
        raise Unreadable(f"the embedded file {name} cannot be read: {exc}") from None


def _entry(dictionary: generic.DictionaryObject, key: str):
    """The entry, its indirect reference followed; None when absent."""
    return dictionary[key] if key in dictionary else None


def _name_tree(node: generic.DictionaryObject):
    """(name, value) pairs of a PDF name tree, its /Kids included, references followed."""
    pairs = _entry(node, "/Names")
    for i in range(0, len(pairs or ()) - 1, 2):
        yield str(pairs[i]), pairs[i + 1].get_object()
    for kid in _entry(node, "/Kids") or ():
        yield from _name_tree(kid.get_object())


def configured(instance_path, config) -> Identity | None:
    """The identity a running system seals with: the configured files (ECRF_SEAL_KEY, ECRF_SEAL_CERT), else the
    instance folder's; ``config`` is the application's configuration mapping."""
    return load_identity(Path(instance_path), config.get("SEAL_KEY_PATH"), config.get("SEAL_CERT_PATH"))
