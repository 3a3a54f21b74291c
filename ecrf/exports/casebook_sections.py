"""What a subject's casebook says, section by section, as plain text: the cover, every visit and form (stored or
not), the signatures, the query threads and the audit trail. ecrf.exports.casebook_pdf lays the sections out;
the benchmark lays the same text out as plain paragraphs (its floor). The charts section also carries the
subject's charts over study day (ecrf.charts: the Drawings the web pages show as SVG).

Everything comes from the record (ecrf.casebook.record: values already masked for the reader's role) and the
subject's audit rows, read once, oldest first; nothing here queries the database.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace

from ecrf.audit.models import AuditEvent
from ecrf.casebook import audit_trail
from ecrf.casebook.record import EventEntry, FormEntry, ItemValue, QueryThread, Record
from ecrf.charts import draw, figures
from ecrf.charts import series as chart_series
from ecrf.exports.kinds import Request
from ecrf.sdv.services import CHANGED, NOT_VERIFIED, VERIFIED
from ecrf.study.codec import local_text
from ecrf.study.definition import PROTOCOL_NAME, STUDY_NAME, STUDY_OID

ITEM_COLUMNS = ("Item", "Value", "SDV", "Queries")
ITEM_WIDTHS = (0.38, 0.38, 0.10, 0.14)
AUDIT_COLUMNS = ("Record: what", "Old -> new")
AUDIT_WIDTHS = (0.44, 0.56)
#: an item not verified shows nothing (most are not, and the form's notes say what blank means)
SDV_WORDS = {VERIFIED: "verified", CHANGED: "changed since SDV", NOT_VERIFIED: ""}
QUERY_STATES = ("open", "answered", "closed", "cancelled")
EMPTY = "—"
_REPEAT = re.compile(r"/((?:SE|F)\.[^/\[]+)\[(\d+)\]")


@dataclass
class Section:
    """A heading (an outline bookmark at ``level`` unless None), notes under it, and a table of rows."""

    title: str
    level: int | None
    key: str
    notes: list[str] = field(default_factory=list)
    header: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = field(default_factory=list)
    widths: tuple[float, ...] = ()
    drawings: tuple = ()  # reportlab Drawings laid out after the table (the charts)


@dataclass(frozen=True)
class Cover:
    """The facts of the export the cover states."""

    exported_at: datetime
    request: Request
    chain_head: tuple[int, str]
    content_hash: str


def both_times(moment: datetime, tz) -> str:
    """A moment in UTC and at the site: '2026-11-25 06:03 UTC / 2026-11-25 14:03 CST (UTC+08:00)'."""
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC / {local_text(moment, tz)}"


def subject_words(rec: Record) -> str:
    s = rec.subject
    return f"{s.key} (subject number {s.subject_no})" if s.subject_no else s.key


def cover(rec: Record, facts: Cover) -> Section:
    site, request = rec.subject.site, facts.request
    seq, digest = facts.chain_head
    role = request.role.replace("_", " ")
    stored = sum(1 for _, f in rec.forms() if f.data is not None)
    rows = [
        ("Study", f"{STUDY_NAME} ({STUDY_OID}), protocol {PROTOCOL_NAME}"),
        ("Site", f"{site.code} {site.name} (times in {site.timezone})"),
        ("Subject", subject_words(rec)),
        ("Subject status", rec.subject.status.replace("_", " ")),
        ("Exported", both_times(facts.exported_at, rec.tz)),
        ("Exported by", f"{request.full_name} ({request.username}), role {role}"),
        ("Values shown", f"as the role {role} may see them (identifying items follow the role's masking); "
                         f"{rec.value_count} values on {stored} stored forms"),
        ("Audit chain head", f"record {seq}, hash {digest}"),
        ("Content SHA-256", facts.content_hash),
    ]
    notes = ["The content hash is the SHA-256 of the casebook's data as canonical JSON (embedded in this file); "
             "the audit chain head names the last record of the system's audit trail when the copy was made.",
             "In the forms, SDV says \"verified\" (against source, at the value shown) or \"changed since SDV\"; "
             "blank: not verified. Queries counts the item's query threads by state (the threads follow the visits)."]
    return Section(f"Casebook of subject {subject_words(rec)}", 0, "cover", notes, None, rows, (0.22, 0.78))


def _counts(threads: Iterable[QueryThread]) -> str:
    if not threads:
        return ""
    counted = Counter(q.state for q in threads)
    return ", ".join(f"{counted[s]} {s}" for s in QUERY_STATES if counted[s])


def item_row(item: ItemValue) -> tuple[str, ...]:
    definition = item.definition
    if item.missing_code:
        value = f"{item.missing_label}: {item.missing_reason}" if item.missing_reason else item.missing_label
    else:
        value = item.shown or item.why_empty or EMPTY
    stored = item.value is not None
    return (f"{definition.label}", value, SDV_WORDS.get(item.sdv, item.sdv) if stored else "",
            _counts(item.queries))


def form_title(form: FormEntry) -> str:
    repeat = f" #{form.repeat}" if form.definition.repeating else ""
    return f"{form.definition.label}{repeat} ({form.definition.oid})"


def _form(event: EventEntry, form: FormEntry, key: str, tz) -> Section:
    title = form_title(form)
    if event.not_done:
        return Section(title, 1, key, ["Not done: the visit did not take place."])
    if form.data is None:
        return Section(title, 1, key, ["Not started: nothing was ever entered on this form."])
    threads = [q for item in form.items for q in item.queries]
    status = f"Status: {form.status_label}"
    if threads:
        status += f" · queries: {_counts(threads)}"
    if form.data.updated_at:
        status += f" · last saved {both_times(form.data.updated_at, tz)}"
    return Section(title, 1, key, [status], ITEM_COLUMNS, [item_row(i) for i in form.items], ITEM_WIDTHS)


def visits(rec: Record) -> Iterator[Section]:
    for n, event in enumerate(rec.events):
        key = f"v{n}"
        notes = []
        data = event.data
        if event.not_done:
            notes.append(f"Visit not done: {data.not_done_reason or 'no reason recorded'}")
        elif event.definition.type == "Common":
            notes.append("The subject's forms outside the visits (consent, demographics, logs).")
        elif data is None or not data.forms:
            notes.append("No data entered at this visit.")
        else:
            when = f"Visit date {data.actual_date}" if data.actual_date else "Visit date not recorded"
            notes.append(f"{when} · {data.status.replace('_', ' ')}")
        yield Section(f"{event.heading} ({event.definition.oid})", 0, key, notes)
        for m, form in enumerate(event.forms):
            yield _form(event, form, f"{key}f{m}", rec.tz)


def charts(rec: Record) -> Section:
    """The subject's measures over study day, from the record (no statement), with the CRS and ICANS episodes."""
    found = chart_series.for_record(rec)
    if found.infusion:
        day0 = f"Study day 0 is the CAR-T infusion, {found.infusion} (site date); days before it are negative."
    else:
        day0 = "No infusion is recorded: study days count from the infusion, so nothing is drawn."
    notes = [day0, "Shaded bands and the strips above each chart: CRS (orange) and ICANS (purple) episodes, "
                   "darker for a higher grade (ASTCT); a dashed green line: the laboratory's limit."]
    rows = figures.episode_rows(found)
    if not rows:
        notes.append("No CRS or ICANS episode of grade 1 or more was assessed.")
    return Section("Charts over study day", 0, "charts", notes, ("Episode", "Study days", "Worst grade") if rows
                   else None, rows, (0.2, 0.4, 0.4), tuple(draw.subject_drawings(found)))


def _cause(rec: Record, raw: str | None) -> str:
    """What broke a signature: 'a change to Respiratory rate on D1 / Vital signs (01-S001/SE.D1[1]/F.VS[1])'."""
    try:
        cause = json.loads(raw or "")
        key, items = cause["form"], cause["items"]
    except (ValueError, KeyError, TypeError):
        return raw or "a change to the data"
    labels = ", ".join(rec.study.items[i].label if i in rec.study.items else i for i in items)
    return f"a change to {labels} on {where(rec.study, key)} ({key})"


def signatures(rec: Record) -> Section:
    rows = []
    for s in rec.signatures:
        if s.holds:
            state = "holds"
        else:
            when = both_times(s.broken_at, rec.tz) if s.broken_at else "time not recorded"
            state = f"broken {when} by {_cause(rec, s.broken_cause)}"
        rows.append((s.printed_name, both_times(s.signed_at, rec.tz), s.meaning, s.scope, state))
    notes = [] if rows else ["No signatures."]
    return Section("Signatures", 0, "signatures", notes, ("Printed name", "Signed", "Meaning", "Scope", "Status"),
                   rows, (0.16, 0.22, 0.24, 0.14, 0.24))


def queries(rec: Record) -> Iterator[Section]:
    threads = [(event, form, item, q) for event, form in rec.forms() for item in form.items for q in item.queries]
    yield Section("Query threads", 0, "queries", [] if threads else ["No queries."])
    for event, form, item, q in threads:
        origin = "edit check" if q.system else "raised by a person"
        rows = [(_local(m.at, rec), m.by, m.step, m.text, m.state_after) for m in q.messages]
        yield Section(f"Query {q.id} · {item.definition.label} ({q.item_oid}) · {event.heading} / "
                      f"{form_title(form)}", None, f"q{q.id}",
                      [f"{q.state} · {origin} · raised {both_times(q.raised_at, rec.tz)}"],
                      ("When (site time)", "By", "Step", "Message", "State after"), rows,
                      (0.14, 0.2, 0.08, 0.46, 0.12))


def _local(moment: datetime, rec: Record) -> str:
    local = moment.astimezone(rec.tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def where(study, key: str, event_oid: str | None = None, form_oid: str | None = None) -> str:
    """The visit and form a locator key names ('01-S001/SE.D1[1]/F.VS[1]/...') in words: 'D1 / Vital signs',
    with the repeat of a repeating visit or form ('Subject / Adverse event #3')."""
    found = dict(_REPEAT.findall(key))
    event_oid = event_oid or next((k for k in found if k.startswith("SE.")), None)
    form_oid = form_oid or next((k for k in found if k.startswith("F.")), None)
    event = study.event(event_oid) if event_oid else None
    form = study.form(form_oid) if form_oid else None
    parts = [_repeat(event.heading if event else event_oid, event, found.get(event_oid)),
             _repeat(form.label if form else form_oid, form, found.get(form_oid))]
    return " / ".join(p for p in parts if p)


def _repeat(words: str | None, definition, repeat: str | None) -> str | None:
    return f"{words} #{repeat}" if words and repeat and getattr(definition, "repeating", False) else words


class _Places:
    """Visit, form and item words for the audit rows' OIDs, looked up once each."""

    def __init__(self, rec: Record):
        self.study = rec.study
        self._where: dict[tuple, str] = {}
        self._what: dict[tuple, str] = {}

    def where(self, row: AuditEvent) -> str:
        """'Day 1 / Vital signs', with the repeat of a repeating visit or form ('Adverse event #3')."""
        repeats = _REPEAT.findall(row.entity_key or "")
        key = (row.event_oid, row.form_oid, *repeats)
        if key not in self._where:
            self._where[key] = where(self.study, row.entity_key or "", row.event_oid, row.form_oid)
        return self._where[key]

    def what(self, row: AuditEvent) -> str:
        key = (row.entity, row.item_oid)
        if key not in self._what:
            item = self.study.items.get(row.item_oid) if row.item_oid else None
            words = row.entity.replace("_", " ")
            if item is not None:
                words = f"{item.label} ({row.item_oid})" if row.entity == "item_data" else f"{words}, {item.label}"
            self._what[key] = words
        return self._what[key]


def _readable(text: str) -> str:
    """A record's JSON object as 'key: value' pairs; other text as it is."""
    if not text.startswith("{"):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    return "; ".join(f"{k}: {'' if v is None else v}" for k, v in data.items())


def _save_key(row: AuditEvent) -> tuple:
    """What the records of one save share: the moment, who, where (the form or other entity) and why."""
    place = row.entity_key.rsplit("/", 1)[0] if row.entity == "item_data" and row.entity_key else row.entity_key
    return row.ts, row.username, row.role, place, row.reason


def _change(row: AuditEvent, rec: Record) -> str:
    role, tz = rec.role, rec.tz
    old, new = audit_trail.shown(row, row.old_value, tz, role), audit_trail.shown(row, row.new_value, tz, role)
    return f"{_readable(old) or EMPTY} -> {_readable(new) or EMPTY}" if old else _readable(new)


def audit_rows(rec: Record, rows: Iterable[AuditEvent]) -> Iterator[tuple[str, ...]]:
    """The records as table rows, those of one save under one spanning line: when, who (full name, role), where
    and the reason for change; then one row per record: its number, what changed, old -> new."""
    places, last = _Places(rec), None
    for row in rows:
        key = _save_key(row)
        if key != last:
            last = key
            who = f"{rec.names.get(row.username, row.username)}, {(row.role or '').replace('_', ' ')}"
            reason = audit_trail.reason_for(row, rec.role)
            words = (_local(row.ts, rec), who, places.where(row), f"Reason: {reason}" if reason else "")
            yield (" · ".join(x for x in words if x),)
        yield f"{row.seq} {row.action.replace('_', ' ')}: {places.what(row)}", _change(row, rec)


def _plain(row: AuditEvent) -> SimpleNamespace:
    """The record's loaded columns as plain attributes: each record is read some twenty times here, and every
    read of a mapped attribute is a descriptor call."""
    return SimpleNamespace(**{k: v for k, v in vars(row).items() if not k.startswith("_")})


def audit(rec: Record, rows: Iterable[AuditEvent]) -> Section:
    """The audit trail appendix: every record about the subject, oldest first (``rows`` read as they come)."""
    table = list(audit_rows(rec, map(_plain, rows)))
    records = sum(1 for r in table if len(r) > 1)
    notes = [f"{records} records about subject {rec.subject.key}, oldest first, grouped by save (when, who, where, "
             f"reason); values and reasons as the role {rec.role.replace('_', ' ')} may see them; times at the site "
             f"({rec.subject.site.timezone})."]
    return Section("Audit trail", 0, "audit", notes, AUDIT_COLUMNS, table, AUDIT_WIDTHS)


def sections(rec: Record, facts: Cover, trail: Iterable[AuditEvent]) -> list[Section]:
    """The whole casebook, in reading order (``trail``: the subject's audit rows, oldest first)."""
    return [cover(rec, facts), *visits(rec), charts(rec), signatures(rec), *queries(rec), audit(rec, trail)]
