"""Time to seal (embed the content, PAdES-sign) a PDF of about 1 MB, to validate the seal and to read the content
back; with the EC P-256 identity `ecrf init-db` makes and with an RSA 3072 key a site may supply.

    .venv/bin/python bench/seal.py [--megabytes 1.0] [--runs 20]

Prints medians in ms, and the ratio of sealing to reading the same PDF's bytes through pyHanko's incremental writer
and writing them back unchanged (the floor: what any incremental update of that file costs).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_ms  # noqa: E402


def _pages(count: int) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for _ in range(count):
        for line in range(64):  # random text: compression does not shrink it away
            page.drawString(30, 800 - 12 * line, os.urandom(40).hex())
        page.showPage()
    page.save()
    return buffer.getvalue()


def _pdf(megabytes: float) -> bytes:
    """A PDF of about ``megabytes``: the page count scaled from a sample."""
    per_page = len(_pages(20)) / 20
    return _pages(max(1, round(megabytes * 1e6 / per_page)))


def _time(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def _rsa_identity():
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from ecrf.exports.seal import Identity

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench RSA seal")])
    now = datetime.now(timezone.utc)
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(usage, critical=True).sign(key, hashes.SHA256()))
    return Identity(key, cert)


def run(megabytes: float, runs: int) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from ecrf.exports import seal

    data = _pdf(megabytes)
    content = json.dumps({f"SE.V{i}[1]/F.X[1]/I.{i}": {"value": str(i), "missing": None}
                          for i in range(2500)}).encode()
    print(f"PDF {len(data) / 1e6:.2f} MB, embedded content {len(content) / 1e3:.0f} kB, {runs} runs each")

    def rewrite():
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        writer.write(io.BytesIO())

    floor = median_ms(_time(rewrite, runs))
    print(f"  floor (incremental writer, nothing changed): {floor:.1f} ms")
    for label, identity in (("EC P-256", seal.ensure_identity(tempfile.mkdtemp())), ("RSA 3072", _rsa_identity())):
        sealed = seal.seal_pdf(data, identity, attachments={seal.CONTENT_NAME: content})
        assert seal.validate(sealed, identity).ok and seal.attachment(sealed, seal.CONTENT_NAME) == content
        sealing = median_ms(_time(lambda: seal.seal_pdf(data, identity, attachments={seal.CONTENT_NAME: content}),
                                  runs))
        checking = median_ms(_time(lambda: seal.validate(sealed, identity), runs))
        reading = median_ms(_time(lambda: seal.attachment(sealed, seal.CONTENT_NAME), runs))
        print(f"  {label}: seal {sealing:.1f} ms ({sealing / floor:.1f}x the floor), validate {checking:.1f} ms, "
              f"read the content back {reading:.1f} ms; sealed file +{(len(sealed) - len(data)) / 1e3:.0f} kB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    run(args.megabytes, args.runs)
