"""The blank CRF and the annotated CRF, drawn from the study definition (no subject data), sealed like every PDF
the system issues (ecrf.exports.seal).

The blank CRF: a cover (study, metadata version, the definition's SHA-256, date), the contents, the schedule of
events (which form is collected at which event), then every form on its own pages with its groups and items as
empty fields, units, choices, required marks and help. The annotated CRF adds, per item, the OID, data type,
length or decimals, range, code list and SDTM variable (ecrf.exports.crf_fields.annotation), and per form its edit
checks. The contents and outline bookmarks lead to every form, the outline also by event to the forms collected
there; every page says "Page X of Y".
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Frame, PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle

from ecrf.exports import crf_fields as fields
from ecrf.exports.fingerprint import definition_sha256
from ecrf.exports.pdfpages import Anchor, OutlinedDoc, paged_canvas
from ecrf.exports.seal import seal_pdf
from ecrf.study.definition import METADATA_VERSION, PROTOCOL_NAME, STUDY_NAME, STUDY_OID, Study
from ecrf.study.definition import load as load_study
from ecrf.study.types import Form, StudyEvent

MARGIN = 16 * mm
PAD = 6  # the frame's padding (reportlab's default), where the story's text begins
WIDTH = A4[0] - 2 * MARGIN
CONTENTS_TOP, CONTENTS_LEADING = 34, 14  # points below the frame's top: the heading; then a line
CONTENTS_LINES = int((A4[1] - 2 * MARGIN - CONTENTS_TOP) // CONTENTS_LEADING)
EVENTS_PER_TABLE = 12  # schedule columns whose headings fit across a portrait page

TITLE = ParagraphStyle("title", parent=fields.BODY, fontName=fields.BOLD, fontSize=22, leading=28)
SUBTITLE = ParagraphStyle("subtitle", parent=fields.BODY, fontSize=12, leading=16)
H1 = ParagraphStyle("h1", parent=fields.BODY, fontName=fields.BOLD, fontSize=14, leading=18, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=fields.BODY, fontName=fields.BOLD, fontSize=10.5, leading=14, spaceBefore=6,
                    spaceAfter=3)
TINY = ParagraphStyle("tiny", parent=fields.BODY, fontSize=6.5, leading=7.5, alignment=1)
GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9a9a9a")),
                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("FONTSIZE", (0, 0), (-1, -1), 7),
                   ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])


def write_blank(session, request, run, out) -> None:
    out.write(render(load_study(), run, annotated=False))


def write_annotated(session, request, run, out) -> None:
    out.write(render(load_study(), run, annotated=True))


def render(study: Study, run, annotated: bool) -> bytes:
    """The sealed PDF (``run.identity`` None: unsealed), laid out in one pass: the page count and the contents'
    page numbers are drawn once the last page is known (ecrf.exports.pdfpages)."""
    title = "Annotated CRF" if annotated else "Blank CRF"
    buffer = io.BytesIO()
    doc = OutlinedDoc(buffer, pagesize=A4, title=f"{title}: {STUDY_NAME}", author=PROTOCOL_NAME,
                      subject=f"{STUDY_OID} {METADATA_VERSION}", creator="ecrf")
    frame = Frame(MARGIN, MARGIN, WIDTH, A4[1] - 2 * MARGIN, id="body")
    doc.addPageTemplates([PageTemplate("page", [frame])])
    contents_pages = -(-(1 + len(study.forms)) // CONTENTS_LINES)

    def late(canvas, page: int, count: int) -> None:
        if 2 <= page < 2 + contents_pages:
            at = (page - 2) * CONTENTS_LINES
            _draw_contents(canvas, doc.contents[at:at + CONTENTS_LINES], first=page == 2)
        canvas.setFont(fields.FONT, 7)
        canvas.setFillColor(fields.GREY)
        canvas.drawString(MARGIN, 9 * mm, f"{PROTOCOL_NAME} · {title} · {STUDY_OID} {METADATA_VERSION}")
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {page} of {count}")

    doc.build(_story(study, run, title, annotated, contents_pages), canvasmaker=paged_canvas(late))
    return seal_pdf(buffer.getvalue(), run.identity, reason=f"{title} of {STUDY_OID} {METADATA_VERSION}")


def _story(study: Study, run, title: str, annotated: bool, contents_pages: int) -> list:
    story = [Anchor(("cover",), (("Cover", "cover", 0),)), *_cover(study, run, title), PageBreak(),
             Anchor(("contents",), (("Contents", "contents", 0),)), Paragraph("Contents", H1),
             *[PageBreak()] * contents_pages, *_schedule(study, annotated)]
    first_forms = {e.forms[0].form_oid for e in study.events if e.forms}
    for n, form in enumerate(study.forms):
        story += [PageBreak(), _form_anchor(study, form, first=n == 0, starts_events=form.oid in first_forms,
                                            annotated=annotated), *_form(study, form, annotated)]
    return story


def _draw_contents(canvas, entries: list[tuple[str, int, str]], first: bool) -> None:
    """Contents lines (title, dotted leader, page), each a link to its destination."""
    y = A4[1] - MARGIN - (CONTENTS_TOP if first else CONTENTS_LEADING)
    left, right = MARGIN + PAD, A4[0] - MARGIN - PAD
    for title, page, key in entries:
        canvas.setFillColor(colors.black)
        canvas.setFont(fields.FONT, 9)
        canvas.drawString(left, y, title)
        canvas.drawRightString(right, y, str(page))
        start = left + canvas.stringWidth(title, fields.FONT, 9) + 4
        end = right - canvas.stringWidth(str(page), fields.FONT, 9) - 4
        canvas.setStrokeColor(fields.GREY)
        canvas.setDash(0.5, 2.5)
        canvas.line(start, y + 1, end, y + 1)
        canvas.setDash()
        canvas.linkRect("", key, (left, y - 3, right, y + 9), relative=0)
        y -= CONTENTS_LEADING


def _cover(study: Study, run, title: str) -> list:
    facts = [("Study", f"{STUDY_NAME} ({STUDY_OID})"), ("Protocol", PROTOCOL_NAME),
             ("Metadata version", METADATA_VERSION), ("Definition SHA-256", definition_sha256(study)),
             ("Content", f"{len(study.events)} study events, {len(study.forms)} forms, {len(study.items)} items, "
                         f"{len(study.codelists)} code lists, {len(study.checks)} edit checks"),
             ("Generated", run.now.strftime("%Y-%m-%d %H:%M UTC"))]
    table = Table([[fields.para(k, fields.LABEL), fields.para(v)] for k, v in facts], colWidths=[40 * mm, None],
                  hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    legend = ("Fields marked * are required. Dates are written YYYY-MM-DD; times on the site's clock. "
              "Tick one box per question unless the question says otherwise.")
    return [Spacer(1, 50 * mm), Paragraph(escape(title), TITLE), Paragraph(escape(STUDY_NAME), SUBTITLE),
            Spacer(1, 12 * mm), table, Spacer(1, 10 * mm), fields.para(legend, fields.HELP)]


def _schedule(study: Study, annotated: bool) -> list:
    """Which form at which event: a matrix per group of events, then what each event heading stands for."""
    outline = [("Schedule of events", "schedule", 0), ("Events", "events", 0)]
    for event in study.events:
        outline.append((_event_title(event, annotated), f"event:{event.oid}", 1))
        outline += [(_form_title(study.form(r.form_oid), annotated), f"event:{event.oid}:{r.form_oid}", 2)
                    for r in event.forms]
    story = [Anchor(("schedule", "events"), tuple(outline), toc=("Schedule of events", "schedule")),
             Paragraph("Schedule of events", H1),
             fields.para("X: the form is collected at the event; (X): when it applies (optional).", fields.HELP),
             Spacer(1, 3 * mm)]
    for start in range(0, len(study.events), EVENTS_PER_TABLE):
        events = study.events[start:start + EVENTS_PER_TABLE]
        rows = [[fields.para("Form", fields.LABEL)] + [Paragraph(escape(e.heading), TINY) for e in events]]
        for form in study.forms:
            row = [fields.para(_form_title(form, annotated), fields.NOTE)]
            for event in events:
                ref = next((r for r in event.forms if r.form_oid == form.oid), None)
                row.append("" if ref is None else "X" if ref.required else "(X)")
            rows.append(row)
        label_width = 58 * mm
        table = Table(rows, colWidths=[label_width] + [(WIDTH - label_width) / EVENTS_PER_TABLE] * len(events),
                      repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([*GRID.getCommands(), ("ALIGN", (1, 1), (-1, -1), "CENTER"),
                                   ("LEFTPADDING", (1, 0), (-1, -1), 1), ("RIGHTPADDING", (1, 0), (-1, -1), 1)]))
        story += [table, Spacer(1, 5 * mm)]
    story += [Paragraph("Study events", H2), _events_table(study)]
    return story


def _events_table(study: Study) -> Table:
    rows = [["Heading", "Event", "OID", "Target day", "Window (days)", "Repeats"]]
    for e in study.events:
        day = "unplanned" if e.day is None else f"{e.day} ({e.anchor})"
        window = f"-{e.window_before} / +{e.window_after}" if e.window_before or e.window_after else ""
        rows.append([e.heading, fields.para(e.label, fields.NOTE), e.oid, day, window, "yes" if e.repeating else ""])
    table = Table(rows, colWidths=[16 * mm, 62 * mm, 32 * mm, 28 * mm, 24 * mm, 16 * mm], repeatRows=1,
                  hAlign="LEFT")
    table.setStyle(GRID)
    return table


def _event_title(event: StudyEvent, annotated: bool) -> str:
    return f"{event.label} ({event.oid})" if annotated else event.label


def _form_title(form: Form, annotated: bool) -> str:
    return f"{form.label} ({form.oid})" if annotated else form.label


def _form_anchor(study: Study, form: Form, first: bool, starts_events: bool, annotated: bool) -> Anchor:
    """The destinations at the top of a form: the form's own, and one per event that collects it (the events'
    outline entries, written with the schedule, point here)."""
    events = [e for e in study.events if study.event_has_form(e.oid, form.oid)]
    keys = [f"form:{form.oid}", *(f"event:{e.oid}:{form.oid}" for e in events)]
    if starts_events:
        keys += [f"event:{e.oid}" for e in events if e.forms[0].form_oid == form.oid]
    if first:
        keys.append("forms")  # each outline entry needs a destination of its own: entries sharing one merge
    outline = ((("Forms", "forms", 0),) if first else ()) + (
        (_form_title(form, annotated), f"form:{form.oid}", 1),)
    return Anchor(tuple(keys), outline, toc=(_form_title(form, annotated), f"form:{form.oid}"))


def _form(study: Study, form: Form, annotated: bool) -> list:
    events = [e for e in study.events if study.event_has_form(e.oid, form.oid)]
    story = [Paragraph(escape(form.label) + (f'  <font name="{fields.MONO}" size="10" color="#1f4e9c">'
                                             f'{escape(form.oid)}</font>' if annotated else ""), H1),
             fields.para("Collected at: " + ", ".join(f"{e.label} ({e.heading})" for e in events), fields.NOTE)]
    if form.repeating:
        story.append(fields.para("Repeating form: one copy per entry (entry no. ____).", fields.NOTE))
    if form.help:
        story.append(fields.para(form.help, fields.HELP))
    for group in form.groups:
        story += [Spacer(1, 3 * mm), fields.group_table(group, WIDTH, annotated)]
    if annotated:
        story += _checks(study, form)
    return story


def _checks(study: Study, form: Form) -> list:
    checks = study.checks_on(form.oid)
    if not checks:
        return [Spacer(1, 3 * mm), fields.para("Edit checks: none on this form.", fields.CODE)]
    rows = [["Edit check", "Severity", "Item", "Message"]] + [
        [fields.para(c.id, fields.CODE), c.severity.value, fields.para(c.item, fields.CODE),
         fields.para(c.message, fields.NOTE)] for c in checks]
    table = Table(rows, colWidths=[40 * mm, 16 * mm, 36 * mm, WIDTH - 92 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([*GRID.getCommands(), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(1, 4 * mm), Paragraph("Edit checks", H2), table]
