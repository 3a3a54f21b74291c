"""Subject casebooks as sealed PDFs.

* ``render(session, request, run, subject) -> bytes``: one subject's casebook (ecrf.exports.casebook_sections laid
  out on the house pages of ecrf.exports.pdfkit), sealed with ``run.identity`` and carrying its canonical content
  (ecrf.exports.seal).
* ``write(session, request, run, out)``: the casebook of ``request.subject_key``.
* ``write_all(session, request, run, out)``: a zip of ``<SITE>/<SUBJECT>.pdf`` for the request's subjects, with
  MANIFEST.csv (site, subject, file, SHA-256, bytes, content hash).
* ``write_directory(session, request, run, directory) -> Manifest``: the same files into a directory.

A casebook reads the record (a fixed number of statements), the audit chain head and the subject's audit trail
(one streamed statement): nothing per visit, form or item.
"""
from __future__ import annotations

import gc
import hashlib
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.platypus import Flowable, PageBreak, Spacer
from sqlalchemy.orm import Session

from ecrf.audit import chain
from ecrf.casebook import record
from ecrf.errors import NotFound
from ecrf.exports import files, pdfkit, scope, seal
from ecrf.exports.casebook_sections import Cover, Section, sections, subject_words
from ecrf.exports.kinds import Request, Run
from ecrf.infra import csvsafe
from ecrf.study.definition import STUDY_NAME
from ecrf.subjects.models import Subject

MANIFEST_NAME = "MANIFEST.csv"
MANIFEST_COLUMNS = ("site", "subject", "file", "sha256", "bytes", "content_sha256")
SEAL_REASON = "Certified copy of the subject's casebook"
#: sections that start on a new page
_NEW_PAGE = frozenset({"charts", "signatures", "queries", "audit"})


@dataclass(frozen=True)
class Manifest:
    count: int  # casebooks written
    sha256: str  # of MANIFEST.csv
    size: int  # bytes of all files written


def layout(parts: list[Section]) -> list[Flowable]:
    """One block per section; a visit's heading stays with its first form."""
    story: list[Flowable] = []
    for n, part in enumerate(parts):
        if part.key in _NEW_PAGE or n == 1:
            story.append(PageBreak())
        block = pdfkit.Block(part.title, part.notes, part.header, part.rows, part.widths or (1.0,),
                             level=part.level, key=part.key, look=pdfkit.LOOKS["cover"] if n == 0 else None)
        block.keepWithNext = part.level == 0 and not part.rows and n + 1 < len(parts) and parts[n + 1].level == 1
        story.append(block)
        for drawing in part.drawings:
            story += [Spacer(1, 6), drawing]
    return story


@contextmanager
def _without_collection_pauses():
    """Cyclic garbage collection held off while a casebook is made: it allocates hundreds of thousands of small
    objects that live until the file is written, and each full collection walks them all again (a sixth of the
    time of a populated casebook). Reference counting frees as usual; cycles wait until the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def render_unsealed(session: Session, request: Request, run: Run, subject: Subject) -> tuple[bytes, dict]:
    """(the casebook PDF before sealing, its canonical content) as ``request.role`` may see the subject."""
    with _without_collection_pauses():
        return _render(session, request, run, subject)


def _render(session: Session, request: Request, run: Run, subject: Subject) -> tuple[bytes, dict]:
    rec = record.build(session, subject, request.role)
    content = record.content(rec)
    digest = record.content_hash(content)
    facts = Cover(run.now, request, chain.head(session.connection()), digest)
    parts = sections(rec, facts, record.audit_rows(session, subject))
    site = subject.site
    running = pdfkit.Running(
        f"{STUDY_NAME} · casebook of subject {subject_words(rec)}", f"Site {site.code} {site.name}",
        f"Exported {run.now:%Y-%m-%d %H:%M} UTC by {request.full_name} ({request.role.replace('_', ' ')}) · "
        f"content SHA-256 {digest[:16]}…")
    pdf = pdfkit.build(layout(parts), running, title=f"Casebook of subject {subject.key}",
                       author=request.full_name, subject=f"{STUDY_NAME}, site {site.code}, subject {subject.key}")
    return pdf, content


def _sealed(session: Session, request: Request, run: Run, subject: Subject) -> tuple[bytes, str]:
    """(the sealed casebook, its content hash)."""
    pdf, content = render_unsealed(session, request, run, subject)
    sealed = seal.seal_pdf(pdf, run.identity, attachments={seal.CONTENT_NAME: record.canonical(content)},
                           reason=SEAL_REASON)
    return sealed, record.content_hash(content)


def render(session: Session, request: Request, run: Run, subject: Subject) -> bytes:
    return _sealed(session, request, run, subject)[0]


def write(session: Session, request: Request, run: Run, out: BinaryIO) -> None:
    if not request.subject_key:
        raise NotFound("name the subject whose casebook to export")
    subject = scope.subjects(session, request)[0]
    out.write(render(session, request, run, subject))
    run.progress(1, 1)


# -- many casebooks --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _File:
    site: str
    subject: str
    name: str  # <SITE>/<SUBJECT>.pdf
    data: bytes
    content_sha256: str


def _safe(part: str) -> str:
    """A code as a file name part (codes are letters, digits and dashes; anything else becomes _)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", part).lstrip(".") or "_"


def _casebooks(session: Session, request: Request, run: Run) -> Iterator[_File]:
    """The sealed casebook of each of the request's subjects, by site and subject; progress after each."""
    subjects = scope.subjects(session, request)
    for done, subject in enumerate(subjects, 1):
        data, content_sha256 = _sealed(session, request, run, subject)
        site = subject.site.code
        yield _File(site, subject.key, f"{_safe(site)}/{_safe(subject.key)}.pdf", data, content_sha256)
        run.progress(done, len(subjects))


def _manifest(lines: list[tuple]) -> bytes:
    return csvsafe.write([MANIFEST_COLUMNS, *lines]).encode()


def _each(session: Session, request: Request, run: Run, put) -> bytes:
    """``put(name, data)`` for every casebook, then for MANIFEST.csv; the manifest's bytes."""
    lines = []
    for f in _casebooks(session, request, run):
        put(f.name, f.data)
        lines.append((f.site, f.subject, f.name, hashlib.sha256(f.data).hexdigest(), len(f.data), f.content_sha256))
    manifest = _manifest(lines)
    put(MANIFEST_NAME, manifest)
    return manifest


def write_all(session: Session, request: Request, run: Run, out: BinaryIO) -> None:
    stamp = run.now.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        def put(name: str, data: bytes) -> None:
            archive.writestr(zipfile.ZipInfo(name, stamp), data)

        _each(session, request, run, put)


def write_directory(session: Session, request: Request, run: Run, directory: Path) -> Manifest:
    directory = Path(directory)
    written: list[files.Written] = []

    def put(name: str, data: bytes) -> None:
        written.append(files.write_atomically(directory / name, lambda stream: stream.write(data)))

    _each(session, request, run, put)
    return Manifest(len(written) - 1, written[-1].sha256, sum(w.size for w in written))
