"""Reading the audit trail: filtered, keyset-paginated, with values decoded as users saw them."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecrf.audit.models import AuditEvent
from ecrf.auth.models import User
from ecrf.study import masking, words
from ecrf.study.codec import display
from ecrf.study.definition import load as load_study
from ecrf.study.locator import FormLocator

PAGE_SIZE = 50
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Filters:
    """What an inspector narrows the trail by; dates are calendar days in ``tz`` (the site's, as the trail shows
    its times), each filter one indexed equality or range."""

    username: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    subject_key: str | None = None
    event_oid: str | None = None
    form_oid: str | None = None
    item_oid: str | None = None
    tz: ZoneInfo = UTC

    def apply(self, stmt: Select) -> Select:
        for column, value in ((AuditEvent.username, self.username), (AuditEvent.action, self.action),
                              (AuditEvent.subject_key, self.subject_key), (AuditEvent.event_oid, self.event_oid),
                              (AuditEvent.form_oid, self.form_oid), (AuditEvent.item_oid, self.item_oid)):
            if value:
                stmt = stmt.where(column == value)
        if self.date_from:
            stmt = stmt.where(AuditEvent.ts >= datetime.combine(self.date_from, time(), self.tz))
        if self.date_to:
            stmt = stmt.where(AuditEvent.ts < datetime.combine(self.date_to + timedelta(days=1), time(), self.tz))
        return stmt

    @property
    def active(self) -> bool:
        return any((self.username, self.action, self.date_from, self.date_to, self.subject_key, self.event_oid,
                    self.form_oid, self.item_oid))


@dataclass
class Page:
    rows: list[AuditEvent]
    next_before: int | None  # pass as ?before= for the next (older) page


def page(session: Session, stmt: Select, filters: Filters, before: int | None, size: int = PAGE_SIZE) -> Page:
    """Newest first; keyset pagination on seq so page 1000 costs what page 1 does."""
    stmt = filters.apply(stmt)
    if before:
        stmt = stmt.where(AuditEvent.seq < before)
    rows = list(session.scalars(stmt.order_by(AuditEvent.seq.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].seq if more else None)


def for_subject(subject_key: str) -> Select:
    return select(AuditEvent).where(AuditEvent.subject_key == subject_key)


def for_form(form: FormLocator) -> Select:
    """The form's own records and those of its items (their keys start with the form's key)."""
    return for_subject(form.subject_key).where(
        AuditEvent.event_oid == form.event_oid, AuditEvent.form_oid == form.form_oid,
        AuditEvent.entity_key.startswith(form.key, autoescape=True))


def for_item(form: FormLocator, item_oid: str) -> Select:
    return for_subject(form.subject_key).where(AuditEvent.item_oid == item_oid,
                                               AuditEvent.entity_key == form.item_key(item_oid))


def reason(row: AuditEvent, lang: str = "en") -> str | None:
    """The reason for change in words: stored as a code with the user's note; rows from before codes hold an
    English sentence, shown as it is (they are hashed and can never be rewritten)."""
    return words.render(row.reason, lang) if row.reason is not None else None


#: audited rows whose values are people's own words about a subject (a query thread may name or describe the
#: participant): shown only to the roles that see full clinical values, whatever the item they are about
FREE_TEXT = frozenset({"item_query_message"})


def value_for(row: AuditEvent, value: str | None, role: str | None) -> str | None:
    """A stored old or new value of ``row`` as ``role`` may see it (ecrf.study.masking decides).

    Item values go through the masking rule; other records about a subject (a form's status, a consent
    withdrawal, an eligibility review) carry clinical facts too, so a role that sees no clinical value gets
    them withheld. Account and site records are shown as stored."""
    if value is None:
        return None
    if row.entity in FREE_TEXT and not masking.sees_full(role):
        return masking.WITHHELD
    if row.item_oid and (item := load_study().items.get(row.item_oid)):
        return masking.masked(item, value, role)
    if row.subject_key is not None and not masking.sees_clinical(role):
        return masking.WITHHELD
    return value


def reason_for(row: AuditEvent, role: str | None, lang: str = "en") -> str | None:
    """The reason in words, unless the record is about a subject and the role sees no clinical value (the
    note of a reason for change describes the data), or the record is of an identifying item whose value the
    role sees reduced (a note may repeat the value: "DOB 1990-03-01, not 1991")."""
    if row.reason is not None and row.subject_key is not None and not masking.sees_clinical(role):
        return masking.WITHHELD
    item = load_study().items.get(row.item_oid) if row.item_oid else None
    if row.reason is not None and item is not None and masking.reduces(item, role):
        return masking.WITHHELD
    return reason(row, lang)


def stored_reason_for(row: AuditEvent, role: str | None) -> str | None:
    """The reason as stored (code and note: what the hash covers), withheld where its words are."""
    return masking.WITHHELD if reason_for(row, role) == masking.WITHHELD else row.reason


def shown(row: AuditEvent, value: str | None, tz, role: str | None) -> str:
    """An item value as ``role`` may see it, as the user saw it (code list label, units, local time); other
    values as stored."""
    value = value_for(row, value, role)
    if value is None:
        return ""
    if value != masking.WITHHELD and row.item_oid and (item := load_study().items.get(row.item_oid)):
        return value if masking.reduces(item, role) else display(item, value, tz)
    return value


# -- the trail on screen: what a person reads (the API and the exports keep the stored shape) ------------------

#: a value longer than this folds under a "show" toggle, so one record never takes the whole screen
FOLD_AT = 160


@dataclass(frozen=True)
class Value:
    """A value as shown: ``text`` (decoded) or, for a record of a whole row, its changed fields as pairs."""

    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.text and not self.fields

    @property
    def long(self) -> bool:
        return len(self.text) > FOLD_AT or sum(len(k) + len(v) for k, v in self.fields) > FOLD_AT


@dataclass(frozen=True)
class Line:
    """One audit record as the screen shows it."""

    row: AuditEvent
    full_name: str | None
    what: str  # the item's (or form's, or event's) label; the record's kind for other records
    where: str  # the visit and form, in words
    old: Value = field(default_factory=Value)
    new: Value = field(default_factory=Value)
    reason: str | None = None


def _field_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def readable(row: AuditEvent, value: str | None, tz, role: str | None) -> Value:
    """A stored old or new value as ``role`` may see it, decoded: an item's as on the form (code list label,
    local time, units); a row's changed columns (stored as a JSON object) as "column: value" pairs."""
    text = shown(row, value, tz, role)
    if row.item_oid or not text.startswith("{"):
        return Value(text)
    try:
        data = json.loads(text)
    except ValueError:
        return Value(text)
    if not isinstance(data, dict):
        return Value(text)
    return Value(fields=tuple((str(k).replace("_", " "), _field_text(v)) for k, v in data.items()))


def _labels(row: AuditEvent) -> tuple[str, str]:
    study = load_study()
    item = study.items.get(row.item_oid) if row.item_oid else None
    form = study.form(row.form_oid) if row.form_oid else None
    event = study.event(row.event_oid) if row.event_oid else None
    where = " · ".join(x.label for x in (event, form) if x is not None)
    what = item.label if item else form.label if form and row.entity == "form_data" else (
        event.label if event and row.entity == "study_event_data" else row.entity.replace("_", " "))
    return what, where


def lines(session: Session, rows: list[AuditEvent], tz, role: str | None, lang: str = "en") -> list[Line]:
    """The records of a page as the screen shows them: labels from the study definition, each user's full name
    (one query for the page, whatever its length), values decoded, reasons in words."""
    names = set(r.username for r in rows)
    full = dict(session.execute(select(User.username, User.full_name).where(User.username.in_(names))).all()) \
        if names else {}
    out = []
    for row in rows:
        what, where = _labels(row)
        out.append(Line(row, full.get(row.username), what, where, readable(row, row.old_value, tz, role),
                        readable(row, row.new_value, tz, role), reason_for(row, role, lang)))
    return out


def choices() -> dict[str, list[tuple[str, str]]]:
    """The visits and forms of the definition, for the filters' drop-downs (OID, label)."""
    study = load_study()
    return {"events": [(e.oid, e.label) for e in study.events], "forms": [(f.oid, f.label) for f in study.forms]}


#: actions an inspector filters by (the trail holds others too; a typed one still filters)
ACTIONS = ("create", "update", "delete", "login", "login_failed", "lockout", "logout", "signed",
           "signature_failed", "export_audit_csv")


#: the audit trail as CSV (the subject's download, the site archive): reason as stored (the hash covers it),
#: reason_text in words
CSV_COLUMNS = ("seq", "ts", "username", "role", "actor_sites", "action", "entity", "entity_key", "site_code",
               "subject_key", "event_oid", "form_oid", "item_oid", "old_value", "new_value", "reason", "hash",
               "reason_text")


def csv_rows(session: Session, stmt: Select, role: str | None) -> Iterator[list]:
    """The records ``stmt`` selects, in its order, as rows of CSV_COLUMNS the way ``role`` may see them;
    streamed (a site's trail does not sit in memory). Write them with ecrf.infra.csvsafe."""
    for row in session.scalars(stmt.execution_options(yield_per=1000)):
        yield [_csv_cell(row, column, role) for column in CSV_COLUMNS]


def _csv_cell(row: AuditEvent, column: str, role: str | None):
    if column == "ts":
        return row.ts.isoformat()
    if column == "reason_text":
        return reason_for(row, role)
    if column == "reason":
        return stored_reason_for(row, role)
    if column in ("old_value", "new_value"):
        return value_for(row, getattr(row, column), role)
    return getattr(row, column)
