"""The system's PDF house style on reportlab platypus, shared by the casebook and the blank CRF: fonts that show
any Latin, Greek or Cyrillic text users type (:class:`Fonts`), the page (A4, a running header, "Page X of Y" in
the footer), and :class:`Block`, a bookmarked heading with notes and a labelled table whose long cells wrap.

"Page X of Y" is written in one layout pass, by the page furniture every export PDF shares (ecrf.exports.pdfpages):
each page is drawn once the number of pages is known.

A Block draws plain strings, wrapped here, in one PDF text object. A casebook holds tens of thousands of cells,
and platypus' Paragraph and Table cost many times more per cell (markup parsing, a text object per cell, a
table re-measured at every page break: a populated casebook took 7 s laid out with them); plain strings are
never parsed as markup either, so a value holding ``<`` or ``&`` is shown exactly as typed.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from ecrf.exports.pdfpages import paged_canvas

PAGE = A4
MARGIN = 15 * mm
WIDTH, FRAME_HEIGHT = PAGE[0] - 2 * MARGIN, PAGE[1] - 2 * MARGIN  # of the text frame
BODY, SMALL = 8, 7  # font sizes of table cells and of notes, running header and footer
FOOTER_Y = MARGIN - 7 * mm
#: lines of one table row at most: a longer cell continues in the next row (a row never breaks across pages)
MAX_LINES = 40
PAD_X, PAD_Y = 2.5, 1.6  # cell padding
HEADER_FILL, ZEBRA_FILL, SPAN_FILL = colors.HexColor("#DDE4EA"), colors.HexColor("#F3F5F7"), colors.HexColor("#E8EDF1")
RULE = colors.HexColor("#B8C0C8")
#: where a font of broad coverage is found (DejaVu ships with most Linux distributions); reportlab's own Vera
#: (Latin-1) otherwise
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
              "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")


@dataclass(frozen=True)
class Fonts:
    """Helvetica for text in its encoding (WinAnsi: all of Western European text, every text of the study
    definition), drawn fast and not embedded; an embedded TrueType font of broad coverage for the rest."""

    regular: str = "Helvetica"
    bold: str = "Helvetica-Bold"
    wide: str = "House"
    wide_bold: str = "House-Bold"

    def pick(self, text: str, bold: bool = False) -> str:
        if text.isascii() or _win_ansi(text):
            return self.bold if bold else self.regular
        return self.wide_bold if bold else self.wide


def _win_ansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@cache
def fonts() -> Fonts:
    """Register the wide fonts once per process."""
    for folder in _FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("House", str(regular)))
            pdfmetrics.registerFont(TTFont("House-Bold", str(bold)))
            break
    else:
        pdfmetrics.registerFont(TTFont("House", "Vera.ttf"))
        pdfmetrics.registerFont(TTFont("House-Bold", "VeraBd.ttf"))
    return Fonts()


STANDARD = frozenset({Fonts.regular, Fonts.bold})


def _win_ansi_chars() -> list[tuple[str, int]]:
    """(character, WinAnsi byte) of every character the standard fonts encode."""
    out = []
    for byte in range(256):
        try:
            out.append((bytes([byte]).decode("cp1252"), byte))
        except UnicodeDecodeError:
            continue
    return out


@cache
def _advances(font: str) -> dict[str, float]:
    """A standard font's advance width of each character, in thousandths of the font size."""
    widths = pdfmetrics.getFont(font).widths
    return {char: widths[byte] for char, byte in _win_ansi_chars()}


@cache
def _widest(font: str) -> float:
    """The widest advance of the font's characters, as a share of the font size."""
    if font in STANDARD:
        return max(_advances(font).values()) / 1000
    return max(pdfmetrics.getFont(font).face.charWidths.values()) / 1000


def _width(text: str, font: str, size: float) -> float:
    """The width of ``text``: from the standard fonts' tables (a casebook measures tens of thousands of cells;
    reportlab's own measure is slow without its optional C accelerator), reportlab's for the others."""
    if font in STANDARD:
        try:
            return sum(map(_advances(font).__getitem__, text)) * size / 1000
        except KeyError:
            pass
    return pdfmetrics.stringWidth(text, font, size)


#: how text in a standard font is written into a PDF literal string: WinAnsi bytes, with ( ) \ escaped and the
#: bytes outside printable ASCII as octal escapes (as reportlab writes them)
_LITERAL = {ord(char): "\\" + char if char in "\\()" else f"\\{byte:03o}" for char, byte in _win_ansi_chars()
            if char in "\\()" or not 32 <= byte <= 126}


def wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """``text`` as lines no wider than ``width`` (at spaces; a word longer than a line is cut)."""
    measure = _width
    if "\n" not in text and (len(text) * size * _widest(font) <= width or measure(text, font, size) <= width):
        return [text]  # (the first test spares measuring most cells: short enough whatever their letters)
    space = measure(" ", font, size)
    out: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            need = measure(word, font, size)
            if line and used + space + need <= width:
                line, used = f"{line} {word}", used + space + need
                continue
            if line:
                out.append(line)
            while need > width:  # cut a word longer than the line
                cut = max(1, int(len(word) * width / need))
                while cut > 1 and measure(word[:cut], font, size) > width:
                    cut -= 1
                out.append(word[:cut])
                word = word[cut:]
                need = measure(word, font, size)
            line, used = word, need
        out.append(line)
    return out


@dataclass(frozen=True)
class Look:
    """Title size and spacing of a block, by its outline level (0: a top heading, 1: under it)."""

    title_size: float
    space_before: float


LOOKS = {"cover": Look(15, 0), 0: Look(12, 8), 1: Look(9.5, 6), None: Look(8.5, 4)}

Cell = tuple[str, list[str]]  # (font, lines)
Cells = list[Cell]  # a row; a row of one cell spans the whole width


class Block(Flowable):
    """A heading (a bookmark in the PDF outline at ``level``, unless None), notes, and a table of ``rows`` of
    string cells under ``header``, over the frame's width in ``fractions``; a row of one cell spans the width.

    It breaks across pages between rows, never before its first rows, repeating the header."""

    def __init__(self, title: str, notes: Iterable[str] = (), header: Sequence[str] | None = None,
                 rows: Iterable[Sequence[str]] = (), fractions: Sequence[float] = (1.0,), *,
                 level: int | None = None, key: str | None = None, look: Look | None = None):
        super().__init__()
        self.look = look or LOOKS[level]
        self.widths = [WIDTH * x for x in fractions]
        self.title = self._lines(title, WIDTH, True, self.look.title_size)
        self.notes = [line for n in notes for line in self._lines(n, WIDTH, False, SMALL)]
        self.head = self._cells(header, True) if header else None
        self.rows = [part for row in rows for part in self._fitting(self._cells(row, False))]
        self.heights = [self._row_height(r) for r in self.rows]
        self.level, self.key, self.outline_title = level, key, title
        self.continued = False

    @staticmethod
    def _lines(text: str, width: float, bold: bool, size: float) -> list[Cell]:
        font = fonts().pick(text, bold)
        return [(font, line) for line in wrap(text, width, font, size)]

    def _cells(self, row: Sequence[str], bold: bool) -> Cells:
        if len(row) == 1:
            return [self._cell(row[0] or "", WIDTH, True)]
        return [self._cell(c or "", w, bold) for c, w in zip(row, self.widths)]

    @staticmethod
    def _cell(text: str, width: float, bold: bool) -> Cell:
        font = fonts().pick(text, bold)
        return font, wrap(text, width - 2 * PAD_X, font, BODY)

    @staticmethod
    def _fitting(cells: Cells) -> list[Cells]:
        tallest = max(len(lines) for _, lines in cells)
        if tallest <= MAX_LINES:
            return [cells]
        return [[(font, lines[start:start + MAX_LINES]) for font, lines in cells]
                for start in range(0, tallest, MAX_LINES)]

    # -- measures -------------------------------------------------------------------------------------------
    @property
    def _leading(self) -> float:
        return BODY * 1.2

    def _row_height(self, cells: Cells) -> float:
        return max(len(lines) for _, lines in cells) * self._leading + 2 * PAD_Y

    def _top_height(self) -> float:
        title = len(self.title) * self.look.title_size * 1.25 + 2
        notes = len(self.notes) * SMALL * 1.25 + (2 if self.notes else 0)
        return self.look.space_before + title + notes + (2 if self.rows else 0)

    def wrap(self, available_width, available_height):
        self.height = self._top_height() + (self._row_height(self.head) if self.head and self.rows else 0) + sum(
            self.heights)
        return WIDTH, self.height

    def split(self, available_width, available_height):
        used = self._top_height() + (self._row_height(self.head) if self.head else 0)
        count = 0
        for height in self.heights:
            used += height
            if used > available_height:
                break
            count += 1
        least = min(3, len(self.rows))  # rows a heading keeps with it, unless they would not fit on any page
        if count == 0 or count == len(self.rows) or count < least and self._top_height() + sum(
                self.heights[:least]) <= FRAME_HEIGHT:
            return []
        first, rest = self._copy(0, count), self._copy(count, len(self.rows))
        rest.title = self._lines(f"{self.outline_title} (continued)", WIDTH, True, 9)
        rest.notes, rest.level, rest.continued = [], None, True
        rest.look = Look(min(self.look.title_size, 9), 2)
        return [first, rest]

    def _copy(self, start: int, end: int) -> Block:
        """The block with rows ``start`` to ``end`` only."""
        other = Block.__new__(Block)
        Flowable.__init__(other)
        other.__dict__.update({k: v for k, v in self.__dict__.items()
                               if k not in ("canv", "_frame", "_postponed", "height")})
        other.rows, other.heights = self.rows[start:end], self.heights[start:end]
        return other

    # -- drawing --------------------------------------------------------------------------------------------
    def draw(self):
        canvas = self.canv
        y = self.height - self.look.space_before
        if self.level is not None and self.key and not self.continued:
            canvas.bookmarkHorizontal(self.key, 0, y)
            canvas.addOutlineEntry(self.outline_title, self.key, self.level, closed=self.level > 0)
        placed: list[tuple[str, float, float, float, str]] = []  # (font, size, x, y, line), in reading order
        size = self.look.title_size
        for font, line in self.title:
            y -= size * 1.25
            placed.append((font, size, 0, y + size * 0.25, line))
        y -= 2
        for font, line in self.notes:
            y -= SMALL * 1.25
            placed.append((font, SMALL, 0, y + SMALL * 0.25, line))
        if self.notes:
            y -= 2
        if self.rows:
            self._draw_rows(canvas, placed, y - 2)
        canvas.drawText(self._text(canvas, placed))

    @staticmethod
    def _text(canvas, placed):
        """One text object with every line, in reading order (as text is extracted, searched and read aloud).
        Text in a standard font is written as its PDF operators (reportlab's text object spends several times
        longer per line on the same bytes); the embedded font goes through reportlab, which subsets it."""
        text = canvas.beginText()
        code, current = text._code, None
        for font, size, x, y, line in placed:
            if font in STANDARD:
                if (font, size) != current:
                    code.append(f"{canvas._doc.getInternalFontName(font)} {size} Tf")
                    current = font, size
                code.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm ({line.translate(_LITERAL)}) Tj")
            else:
                text.setFont(font, size)
                text.setTextOrigin(x, y)
                text._textOut(line)
                current = None
        return text

    def _draw_rows(self, canvas, placed, y: float) -> None:
        """The rows' fills and rules as two paths; their lines into ``placed``."""
        leading = self._leading
        rows = [(r, SPAN_FILL if len(r) == 1 else ZEBRA_FILL if n % 2 else None, h)
                for n, (r, h) in enumerate(zip(self.rows, self.heights))]
        if self.head:
            rows.insert(0, (self.head, HEADER_FILL, self._row_height(self.head)))
        lefts = [sum(self.widths[:i]) + PAD_X for i in range(len(self.widths))]
        fills: dict[object, list[str]] = {}
        rules = []
        for cells, fill, height in rows:
            if fill is not None:
                fills.setdefault(fill, []).append(f"0 {y - height:.2f} {WIDTH:.2f} {height:.2f} re")
            for left, (font, lines) in zip(lefts, cells):
                base = y - PAD_Y - BODY * 0.8
                for line in lines:
                    if line:
                        placed.append((font, BODY, left, base, line))
                    base -= leading
            y -= height
            rules.append(f"0 {y:.2f} m {WIDTH:.2f} {y:.2f} l")
        # (in the graphics state drawOn saves and restores around draw, so the canvas' own record of colours and
        # line width is not needed for these)
        code = canvas._code
        for fill, rectangles in fills.items():
            code.append(f"{_rgb(fill)} rg {' '.join(rectangles)} f")
        code.append(f"{_rgb(RULE)} RG 0.25 w {' '.join(rules)} S 0 g")


@cache
def _rgb(color) -> str:
    return f"{color.red:.3f} {color.green:.3f} {color.blue:.3f}"


@dataclass(frozen=True)
class Running:
    """The texts on every page: the header's left and right, the footer's left."""

    header_left: str
    header_right: str
    footer_left: str


def _page_number(canvas: Canvas, page: int, count: int) -> None:
    """ "Page X of Y" at the footer's right, drawn when the document is saved (ecrf.exports.pdfpages): written
    into the page's own content, it is read as one phrase with the page's other text."""
    label = f"Page {page} of {count}"
    canvas.setFont(fonts().regular, SMALL)
    canvas.drawRightString(PAGE[0] - MARGIN, FOOTER_Y, label)


def _decorate(running: Running):
    f = fonts()

    def on_page(canvas: Canvas, doc) -> None:
        canvas.saveState()
        width, height = PAGE
        top, bottom = height - MARGIN + 4 * mm, FOOTER_Y
        canvas.setFont(f.pick(running.header_left, True), SMALL)
        canvas.drawString(MARGIN, top, running.header_left)
        canvas.setFont(f.pick(running.header_right, True), SMALL)
        canvas.drawRightString(width - MARGIN, top, running.header_right)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, top - 2, width - MARGIN, top - 2)
        canvas.line(MARGIN, bottom + 8, width - MARGIN, bottom + 8)
        canvas.setFont(f.pick(running.footer_left), SMALL)
        canvas.drawString(MARGIN, bottom, running.footer_left)  # "Page X of Y" at its right: _page_number
        canvas.restoreState()

    return on_page


def build(story: list[Flowable], running: Running, *, title: str, author: str, subject: str = "") -> bytes:
    """Lay the story out on house pages; the PDF's bytes (opened with its outline shown)."""
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, title=title, author=author, subject=subject,
                          creator="ecrf (reportlab)")
    frame = Frame(MARGIN, MARGIN, WIDTH, FRAME_HEIGHT, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=_decorate(running))])
    with _binary_streams():
        doc.build([_ShowOutline(), *story], canvasmaker=paged_canvas(_page_number))
    return out.getvalue()


@contextmanager
def _binary_streams():
    """Compressed streams written as binary, not also ASCII85-encoded (reportlab's default: a quarter larger,
    and its encoder is the slowest step of saving a long document without the optional C accelerator)."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


class _ShowOutline(Flowable):
    """Opens the document with its outline (bookmarks) panel shown."""

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.showOutline()
