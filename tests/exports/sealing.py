"""Builders for the seal tests: small PDFs, sealed casebook-like copies, and the two ways a copy gets altered.

The casebook PDF writer is built apart; these copies carry what a casebook carries for the certified-copy check
(the subject's canonical content as the embedded CONTENT_NAME under the seal) on a page of plain text."""
from __future__ import annotations

import io
import re

from pypdf import PdfWriter
from reportlab.pdfgen import canvas

from ecrf.casebook import record
from ecrf.exports import seal


def tiny_pdf(text: str = "ecrf test document", pages: int = 1, lines: int = 1) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for number in range(pages):
        for line in range(lines):
            page.drawString(40, 800 - 12 * (line % 64), f"{text} - page {number + 1} line {line + 1}")
        page.showPage()
    page.save()
    return buffer.getvalue()


def casebook_copy(session, subject, identity, role: str = "data_manager") -> bytes:
    content = record.content(record.build(session, subject, role))
    return seal.seal_pdf(tiny_pdf(f"Casebook of {subject.key}"), identity,
                         attachments={seal.CONTENT_NAME: record.canonical(content)})


def flip_in_content_stream(data: bytes) -> tuple[bytes, int]:
    """``data`` with one byte of its first page content stream changed, and where."""
    start = re.search(rb"stream\r?\n", data).end()
    position = start + 10
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed), position


def append_update(data: bytes) -> bytes:
    """``data`` with an incremental update appended (a new document title), as an editor saving it would."""
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    writer.add_metadata({"/Title": "edited after sealing"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
