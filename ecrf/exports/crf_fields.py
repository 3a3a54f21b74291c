"""How one form of the definition is drawn on the blank CRF: each item as its question (required mark, help) and an
empty field for its answer (boxes and lines, units, a tick box per choice, "not done" where allowed); with
``annotated``, a third column says what a data manager hands to statisticians: the OID, data type, length or
decimals, range, code list, SDTM variable, masking and the calculator of a calculated item.

Tick boxes and fields are drawn, not typed: the standard PDF fonts have no ballot-box glyph, and drawn boxes print
the same everywhere.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from ecrf.study.types import MISSING_CODES, DataType, Item, ItemGroup

FONT, BOLD, ITALIC, MONO = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Courier"
ANNOTATION = colors.HexColor("#1f4e9c")  # the customary blue of annotated CRFs
GREY = colors.HexColor("#666666")

BODY = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5)
LABEL = ParagraphStyle("label", parent=BODY, fontName=BOLD)
HELP = ParagraphStyle("help", parent=BODY, fontName=ITALIC, fontSize=7, leading=8.5, textColor=GREY)
NOTE = ParagraphStyle("note", parent=BODY, fontSize=7.5, leading=9)
CODE = ParagraphStyle("code", parent=BODY, fontName=MONO, fontSize=7, leading=8.5, textColor=ANNOTATION)
GROUP = ParagraphStyle("group", parent=BODY, fontName=BOLD, fontSize=9.5, leading=12)

TYPE_WORDS = {DataType.TEXT: "text", DataType.INTEGER: "integer", DataType.FLOAT: "float", DataType.DATE: "date",
              DataType.DATETIME: "datetime", DataType.CODELIST: "coded", DataType.BOOLEAN: "boolean"}


def para(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


class Field(Flowable):
    """Empty answer boxes in a row, each (width, hint: a faint format such as YYYY-MM-DD), then a word (the units).
    Drawn directly, not as a table of flowables: a CRF has hundreds."""

    def __init__(self, boxes: list[tuple[float, str]], after: str = "", height: float = 5 * mm):
        super().__init__()
        self.boxes, self.after, self.height = boxes, after, height
        self.width = sum(w for w, _ in boxes) + 2 * mm * len(boxes) + stringWidth(after, FONT, 7.5)

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        canvas, x = self.canv, 0.0
        canvas.setLineWidth(0.5)
        for width, hint in self.boxes:
            canvas.setStrokeColor(colors.black)
            canvas.rect(x, 0, width, self.height)
            if hint:
                canvas.setFillColor(colors.HexColor("#9a9a9a"))
                canvas.setFont(FONT, 6.5)
                canvas.drawString(x + 2, self.height - 8.5, hint)
            x += width + 2 * mm
        if self.after:
            canvas.setFillColor(colors.black)
            canvas.setFont(FONT, 7.5)
            canvas.drawString(x, 4, self.after)


class Choices(Flowable):
    """A tick box before each choice, one choice a line (long labels wrap under their own text)."""

    SIZE, LEADING, FONT_SIZE = 2.6 * mm, 9.5, 7.5

    def __init__(self, labels: list[str]):
        super().__init__()
        self.labels = labels
        self._lines: list[list[str]] = []

    def wrap(self, available_width, available_height):
        text_width = available_width - self.SIZE - 2 * mm
        self._lines = [simpleSplit(label, FONT, self.FONT_SIZE, text_width) or [""] for label in self.labels]
        self.width = available_width
        self.height = sum(len(lines) for lines in self._lines) * self.LEADING + 1
        return self.width, self.height

    def draw(self):
        canvas, y = self.canv, self.height
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(colors.black)
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT, self.FONT_SIZE)
        for lines in self._lines:
            y -= self.LEADING
            canvas.rect(0, y + 1, self.SIZE, self.SIZE)
            for n, line in enumerate(lines):
                canvas.drawString(self.SIZE + 2 * mm, y + 2 - n * self.LEADING, line)
            y -= (len(lines) - 1) * self.LEADING


class Lines(Flowable):
    """Short lines of annotation in the annotated CRF's blue monospace, each wrapped to the column."""

    LEADING, FONT_SIZE = 8.5, 7

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines
        self._wrapped: list[str] = []

    def wrap(self, available_width, available_height):
        self._wrapped = [part for line in self.lines for part in simpleSplit(line, MONO, self.FONT_SIZE,
                                                                             available_width)]
        self.width, self.height = available_width, len(self._wrapped) * self.LEADING
        return self.width, self.height

    def draw(self):
        self.canv.setFillColor(ANNOTATION)
        self.canv.setFont(MONO, self.FONT_SIZE)
        for n, line in enumerate(self._wrapped, 1):
            self.canv.drawString(0, self.height - n * self.LEADING + 2, line)


def choices(pairs: list[tuple[str, str]], annotated: bool) -> Choices:
    return Choices([f"{label}  [{code}]" if annotated else label for code, label in pairs])


def answer(item: Item, width: float, annotated: bool) -> list:
    """The empty field for ``item``'s answer, and its "not done"/"unknown" boxes where allowed."""
    if item.calculated:
        out = [para("Calculated by the system from other answers: not entered." +
                    (f" {item.units}" if item.units else ""), HELP)]
        if item.codelist:  # a calculated level: the values it can take, so the reader knows what it means
            out.append(para("One of: " + "; ".join(f"{c.label} [{c.value}]" if annotated else c.label
                                                   for c in item.codelist.items) + ".", HELP))
        return out
    kind = item.data_type
    if kind is DataType.CODELIST:
        field = choices([(c.value, c.label) for c in item.codelist.items], annotated)
    elif kind is DataType.BOOLEAN:
        field = choices([("true", "Yes"), ("false", "No")], annotated)
    elif kind in (DataType.INTEGER, DataType.FLOAT):
        field = Field([(26 * mm, "0." + "0" * item.decimals if item.decimals else "")], item.units or "")
    elif kind is DataType.DATE:
        field = Field([(26 * mm, "YYYY-MM-DD")], "or YYYY-MM, YYYY" if item.partial == "year"
                      else "or YYYY-MM" if item.partial else "")
    elif kind is DataType.DATETIME:
        field = Field([(26 * mm, "YYYY-MM-DD"), (14 * mm, "hh:mm")], "site time")
    else:
        field = Field([(width - 2 * mm - 2, "")], height=5 * mm if item.max_length <= 200 else 12 * mm)
    out = [field]
    if item.missing_allowed:
        out.append(choices([(code, MISSING_CODES[code] + ", reason: ______________")
                            for code in item.missing_allowed], annotated))
    return out


def _range(item: Item) -> str | None:
    if item.min is None and item.max is None:
        return None
    return f"range {'' if item.min is None else item.min}..{'' if item.max is None else item.max}"


def annotation(item: Item, group: ItemGroup) -> Lines:
    """The annotated CRF's note on ``item``: one line per fact."""
    kind = TYPE_WORDS[item.data_type]
    if item.data_type is DataType.TEXT:
        kind += f", length {item.max_length}"
    if item.decimals is not None:
        kind += f", {item.decimals} decimals"
    facts = [item.oid, kind, _range(item),
             f"code list {item.codelist.oid} ({item.codelist.data_type})" if item.codelist else None,
             f"SDTM {item.sdtm}" + (f" ({group.domain})" if group.domain else "") if item.sdtm else
             (f"SDTM domain {group.domain}" if group.domain else None),
             f"calculated: {item.calculated}" if item.calculated else None,
             f"missing codes: {', '.join(item.missing_allowed)}" if item.missing_allowed else None,
             f"identifying: {item.identifying}" if item.identifying else None,
             "critical (always SDV)" if item.critical else None]
    return Lines([fact for fact in facts if fact])


def question(item: Item) -> list[Paragraph]:
    out = [Paragraph(escape(item.label) + (' <font color="#b00000">*</font>' if item.required else ""), LABEL)]
    if item.help:
        out.append(para(item.help, HELP))
    return out


def group_table(group: ItemGroup, width: float, annotated: bool) -> Table:
    """One item group: its heading row, then a row per item (question, answer field, annotation)."""
    widths = [0.36 * width, 0.36 * width, 0.28 * width] if annotated else [0.45 * width, 0.55 * width]
    heading = group.label + (f"   [{group.oid}" + (f", domain {group.domain}" if group.domain else "") + "]"
                             if annotated else "")
    rows = [[para(heading, GROUP)] + [""] * (len(widths) - 1)]
    for item in group.items:
        row = [question(item), answer(item, widths[1] - 8, annotated)]
        if annotated:
            row.append(annotation(item, group))
        rows.append(row)
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c8c8c8")),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#8a8a8a")),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table
