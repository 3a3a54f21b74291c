"""CSV that is safe to open in a spreadsheet: the one writer every CSV export of the system uses.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (``=HYPERLINK(...)`` sends a click, with data, to another site; DDE payloads
run commands). Following the OWASP CSV injection guidance, such a cell is prefixed with a single quote, which
the spreadsheet shows as text. A negative number such as ``-2`` is data, yet it is prefixed too: OWASP
advises neutralising every such cell, because ``-2+3`` or ``-1+cmd|...`` are formulas that start the same
way, and a reader of the file can still see the value (and a program reading the CSV can strip one leading
quote). The quote is added to what is written, never to what is stored.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: the characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """One value as a safe CSV cell: None is empty, a formula-looking text gets a leading single quote."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(values: Iterable) -> list[str]:
    return [cell(v) for v in values]


def writer(stream) -> _SafeWriter:
    """A ``csv.writer`` lookalike on ``stream`` whose rows are neutralised cell by cell."""
    return _SafeWriter(csv.writer(stream))


def write(rows: Iterable[Iterable]) -> str:
    """All ``rows`` as CSV text."""
    buffer = io.StringIO()
    out = writer(buffer)
    for values in rows:
        out.writerow(values)
    return buffer.getvalue()


class _SafeWriter:
    def __init__(self, inner):
        self._inner = inner

    def writerow(self, values: Iterable):
        return self._inner.writerow(row(values))

    def writerows(self, rows: Iterable[Iterable]):
        for values in rows:
            self.writerow(values)
