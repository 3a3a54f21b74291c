"""(being written) Subject casebooks as PDF.

* ``write(session, request, run, out)``: the casebook of ``request.subject_key``, sealed with ``run.identity``.
* ``write_all(session, request, run, out)``: a zip of ``<SITE>/<SUBJECT>.pdf`` for the request's subjects, with
  MANIFEST.csv (site, subject, file, SHA-256, bytes, content hash).
* ``write_directory(session, request, run, directory) -> Manifest``: the same files into a directory.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Manifest:
    count: int  # casebooks written
    sha256: str  # of MANIFEST.csv
    size: int  # bytes of all files written


def write(session, request, run, out) -> None:
    raise NotImplementedError


def write_all(session, request, run, out) -> None:
    raise NotImplementedError


def write_directory(session, request, run, directory) -> Manifest:
    raise NotImplementedError
