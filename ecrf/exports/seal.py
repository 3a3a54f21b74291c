"""(being written by the seal slice) The system's signing identity and PAdES seals.

Interface the other slices code against:

* ``Identity``: the system's private key and certificate (and chain), loaded by ``load_identity(instance_path,
  key_path=None, cert_path=None)``; created once by ``ensure_identity(instance_path)`` at ``ecrf init-db``.
* ``seal_pdf(data, identity, *, attachments={}, reason="...") -> bytes``: embeds the attachments (name -> bytes)
  as PDF embedded files, then signs the whole file (PAdES) with ``identity``; with ``identity=None`` only embeds.
* ``CONTENT_NAME``: the embedded file a casebook carries its canonical content in
  (ecrf.casebook.record.canonical(content(record))).
"""
from __future__ import annotations

CONTENT_NAME = "casebook-content.json"


def seal_pdf(data: bytes, identity, *, attachments: dict[str, bytes] | None = None,
             reason: str = "Certified copy of the trial's data") -> bytes:
    if identity is None and not attachments:
        return data
    raise NotImplementedError


def load_identity(instance_path, key_path=None, cert_path=None):
    """The system's identity (key and certificate): the configured files, else those ensure_identity made under
    the instance folder; None when neither exists (exports are then unsealed)."""
    return None
