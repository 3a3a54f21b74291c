"""The casebook grid of one subject: events as columns, forms as rows (REDCap's record home page), grouped by the
trial's phases (ecrf.casebook.phases) so that one phase fits a screen.

Each cell's status is ecrf.casebook.status.decide over the form's facts (stored and complete, locked or frozen,
signed, verified against source); beside it the cell counts its open queries, its SDV progress and whether it is
signed. Built from a fixed number of statements, never one per cell: the subject's events and forms (with their
items), the freezes and locks that apply (ecrf.capture.locks.states_for_subject), the subject's valid signatures
(one), the SDV counts per form (ecrf.sdv.progress.by_form: one aggregate, with the site's ranks and plan), the open
queries per form (one), and the key values of the repeating logs' entries (one).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import locks
from ecrf.capture.facts import records
from ecrf.capture.models import FormData, StudyEventData
from ecrf.casebook import phases as trial_phases
from ecrf.casebook import status as statuses
from ecrf.queries import counts as query_counts
from ecrf.sdv import progress as sdv_progress
from ecrf.signatures.models import Signature
from ecrf.study import codec, masking
from ecrf.study.definition import Study
from ecrf.study.types import StudyEvent
from ecrf.subjects.models import Subject


@dataclass(frozen=True)
class Facts:
    """What the grid shows of one stored form: its status and the badges beside it."""

    status: str
    signed: bool = False
    sdv_required: int = 0
    sdv_verified: int = 0


@dataclass
class Entry:
    """One entry of a repeating form, as a row of its log table."""

    number: int
    status: str
    open_queries: int
    values: list[str]

    @property
    def label(self) -> str:
        return statuses.LABELS[self.status]


@dataclass
class Cell:
    """One form at one event occurrence."""

    status: str  # one of ecrf.casebook.status.STATUSES
    required: bool
    form_repeat: int = 1
    count: int = 0  # entries of a repeating form
    open_queries: int = 0  # open queries on the cell's entries (the item badges are on the form page)
    signed: int = 0  # entries covered by a valid signature
    sdv_required: int = 0  # items the site's SDV plan requires verified (over the entries)
    sdv_verified: int = 0
    entries: list[Entry] = field(default_factory=list)  # a repeating form's entries, for its table

    @property
    def label(self) -> str:
        return statuses.LABELS[self.status]

    @property
    def sdv_state(self) -> str | None:
        """None when the plan requires nothing here; "done" or "n/m" otherwise."""
        if not self.sdv_required:
            return None
        return "done" if self.sdv_verified >= self.sdv_required else f"{self.sdv_verified}/{self.sdv_required}"


@dataclass
class Column:
    event: StudyEvent
    repeat: int
    data: StudyEventData | None
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        return self.event.heading + (f" #{self.repeat}" if self.event.repeating else "")


@dataclass
class PhaseView:
    """The columns of one phase, with the rows (forms) collected in it only."""

    key: str
    label: str
    columns: list[Column]
    rows: list[tuple[str, str]]
    open: bool = False

    @property
    def tally(self) -> dict[str, int]:
        return tally(self)


@dataclass
class Grid:
    columns: list[Column]
    rows: list[tuple[str, str]]  # (form OID, label) in first-appearance order
    phases: list[PhaseView] = field(default_factory=list)
    #: repeating forms' log tables: form OID -> the headings of their key columns
    log_headings: dict[str, list[str]] = field(default_factory=dict)


#: the signature scopes that sign a form's data (an eligibility confirmation does not, see ecrf.casebook.status)
SIGNING_SCOPES = ("form", "visit", "casebook")

#: the key columns of a repeating form's log table: (heading, item OIDs, the first with a value shows)
LOG_COLUMNS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "F.AE": (("Term", ("I.AE.TERM",)), ("Start", ("I.AE.STDTC", "I.AE.STDAT")),
             ("End", ("I.AE.ENDTC", "I.AE.ENDAT", "I.AE.ONGO")), ("Grade", ("I.AE.TOXGR",)),
             ("Serious", ("I.AE.SER",))),
    "F.CM": (("Drug", ("I.CM.TRT",)), ("Indication", ("I.CM.INDC",)), ("Start", ("I.CM.STDAT",)),
             ("End", ("I.CM.ENDAT", "I.CM.ONGO"))),
    "F.SAERPT": (("AE no.", ("I.SAERPT.AENO",)), ("Report", ("I.SAERPT.TYPE",)), ("Sent", ("I.SAERPT.SENTDTC",)),
                 ("To", ("I.SAERPT.RECIP",))),
    "F.PREGREP": (("Aware", ("I.PREGREP.AWAREDTC",)), ("Reported", ("I.PREGREP.RPTDTC",)),
                  ("Outcome", ("I.PREGREP.OUT",))),
    "F.IC": (("Consent", ("I.IC.TYPE",)), ("Version", ("I.IC.VERSION",)), ("Signed", ("I.IC.DTC",)),
             ("Reason", ("I.IC.REASON",))),
    "F.MH": (("Term", ("I.MH.TERM",)), ("Start", ("I.MH.STDAT",)), ("End", ("I.MH.ENDAT", "I.MH.ONGO"))),
}


def log_columns(study: Study, form_oid: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A repeating form's key columns: declared above, else its first three items."""
    if form_oid in LOG_COLUMNS:
        return LOG_COLUMNS[form_oid]
    return tuple((i.label, (i.oid,)) for i in study.form(form_oid).items[:3])


def form_facts(session: Session, subject: Subject):
    """A function giving a stored form's :class:`Facts`, from three reads of the subject's locks, valid signatures
    and SDV counts."""
    states = locks.states_for_subject(session, subject.id)
    signatures = [s.scope_of for s in session.scalars(select(Signature).where(
        Signature.subject_id == subject.id, Signature.broken_at.is_(None), Signature.scope.in_(SIGNING_SCOPES)))]
    sdv = sdv_progress.by_form(session, subject.site_id, subject.id)

    def facts_of(form: FormData, event_oid: str, event_repeat: int) -> Facts:
        counts = sdv.get(form.id, sdv_progress.Counts())
        signed = any(s.covers(event_oid, event_repeat, form.form_oid, form.repeat_key) for s in signatures)
        status = statuses.decide(
            stored=True, complete=form.status == "complete", lock=states.get(form.id, locks.LockState.OPEN),
            signed=signed, sdv_required=counts.required, sdv_verified=counts.verified)
        return Facts(status, signed, counts.required, counts.verified)
    return facts_of


def form_status(session: Session, subject: Subject):
    """A function giving a stored form's display status (see :func:`form_facts`)."""
    facts_of = form_facts(session, subject)
    return lambda form, event_oid, event_repeat: facts_of(form, event_oid, event_repeat).status


def _shown(study: Study, values: dict, oids: tuple[str, ...], tz: ZoneInfo, role: str | None) -> str:
    for oid in oids:
        if values.get(oid) is not None:
            item = study.items[oid]
            if masking.reduces(item, role):
                return masking.WITHHELD
            text = codec.display(item, values[oid], tz)
            # an "ongoing" box says so in the End column rather than a bare Yes
            return ("ongoing" if text == "Yes" else "") if oid.endswith(".ONGO") else text
    return ""


def build(session: Session, study: Study, subject: Subject,
          also_required: frozenset[tuple[str, str]] = frozenset(), *, next_event: StudyEvent | None = None,
          role: str | None = None) -> Grid:
    """The grid; ``also_required`` are (event, form) pairs a rule makes required for this subject; ``next_event``
    (the subject's next step, ecrf.casebook.next_step) decides which phase opens."""
    events = {(e.event_oid, e.repeat_key): e for e in session.scalars(
        select(StudyEventData).where(StudyEventData.subject_id == subject.id))}
    forms: dict[tuple[str, int, str], list[FormData]] = {}
    for f, oid, rep in session.execute(
        select(FormData, StudyEventData.event_oid, StudyEventData.repeat_key).join(FormData.event)
        .where(StudyEventData.subject_id == subject.id).order_by(FormData.repeat_key)
    ):
        forms.setdefault((oid, rep, f.form_oid), []).append(f)
    facts_of = form_facts(session, subject)
    queries = query_counts.by_form(session, subject.id)
    repeating = [f.oid for f in study.forms if f.repeating]
    logged = records(session, subject.id, repeating)
    tz = subject.site.zone

    columns, rows, seen = [], [], set()
    for event in study.events:
        repeats = sorted(r for (oid, r) in events if oid == event.oid) or [1]
        if event.repeating:
            repeats = repeats + [repeats[-1] + 1] if (event.oid, repeats[-1]) in events else repeats
        for repeat in repeats:
            column = Column(event, repeat, events.get((event.oid, repeat)))
            for ref in event.forms:
                if ref.form_oid not in seen:
                    seen.add(ref.form_oid)
                    rows.append((ref.form_oid, study.form(ref.form_oid).label))
                entries = forms.get((event.oid, repeat, ref.form_oid), [])
                facts = [facts_of(f, event.oid, repeat) for f in entries]
                open_queries = [queries[f.id].open if f.id in queries else 0 for f in entries]
                cell = Cell(statuses.combine(x.status for x in facts),
                            ref.required or (event.oid, ref.form_oid) in also_required,
                            open_queries=sum(open_queries), signed=sum(x.signed for x in facts),
                            sdv_required=sum(x.sdv_required for x in facts),
                            sdv_verified=sum(x.sdv_verified for x in facts))
                if study.form(ref.form_oid).repeating:
                    cell.required = ref.required
                    cell.form_repeat, cell.count = len(entries) + 1, len(entries)
                    keys = log_columns(study, ref.form_oid)
                    cell.entries = [
                        Entry(f.repeat_key, x.status, q,
                              [_shown(study, logged.get(ref.form_oid, {}).get(f.repeat_key, {}), oids, tz, role)
                               for _, oids in keys])
                        for f, x, q in zip(entries, facts, open_queries)]
                column.cells[ref.form_oid] = cell
            columns.append(column)
    grid = Grid(columns, rows)
    grid.log_headings = {oid: [h for h, _ in log_columns(study, oid)] for oid in repeating}
    grid.phases = by_phase(columns, dict(rows), next_event)
    return grid


def by_phase(columns: list[Column], labels: dict[str, str], next_event: StudyEvent | None) -> list[PhaseView]:
    """The columns grouped by phase, each with the forms collected in it; the current phase open."""
    done = [c.event for c in columns if c.data is not None and any(x.status != statuses.NOT_STARTED
                                                                   for x in c.cells.values())]
    opened = trial_phases.current(done, next_event)
    out = []
    for phase in trial_phases.PHASES:
        cols = [c for c in columns if trial_phases.phase_of(c.event) == phase.key]
        if not cols:
            continue
        oids = list(dict.fromkeys(oid for c in cols for oid in c.cells))
        out.append(PhaseView(phase.key, phase.label, cols, [(o, labels[o]) for o in oids], phase.key == opened))
    return out


def tally(phase: PhaseView) -> dict[str, int]:
    """The phase's cells per status and its open queries, for the phase's summary line (closed phases say what
    they hold without opening)."""
    out = dict.fromkeys((*statuses.STATUSES, "open_queries"), 0)
    for column in phase.columns:
        for cell in column.cells.values():
            out[cell.status] += 1
            out["open_queries"] += cell.open_queries
    return out
