"""The response bodies of /api/v1, one pydantic model each: views build them, the OpenAPI document declares them.

Every field is required (null where there is nothing to say) and no other field is allowed, so the document says
exactly what a client receives; the contract test holds the views to it.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from ecrf.api.fields import Timestamp
from ecrf.casebook.status import MEANINGS as STATUS_MEANINGS
from ecrf.casebook.status import STATUSES
from ecrf.study.types import MISSING_CODES, DataType

DataTypeName = Literal[tuple(t.value for t in DataType)]  # type: ignore[valid-type]


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the study definition ------------------------------------------------------------------------------------------

class CodeListItem(Reply):
    value: str
    label: str


class CodeList(Reply):
    oid: str
    name: str
    items: list[CodeListItem]


class Item(Reply):
    oid: str
    label: str
    data_type: DataTypeName
    units: str | None
    min: int | float | None
    max: int | float | None
    required: bool
    calculated: bool
    calculator: str | None
    max_length: int
    decimals: int | None
    allow_future: bool
    help: str
    codelist: CodeList | None


class ItemGroup(Reply):
    oid: str
    label: str
    domain: str | None
    items: list[Item]


class FormDef(Reply):
    oid: str
    label: str
    repeating: bool
    help: str
    item_groups: list[ItemGroup]


class FormRef(Reply):
    form_oid: str
    required: bool


class EventDef(Reply):
    oid: str
    label: str
    type: str
    repeating: bool
    day: int | None
    window_before: int
    window_after: int
    anchor: str
    forms: list[FormRef]


class Study(Reply):
    oid: str
    name: str
    protocol: str
    metadata_version: str
    events: list[EventDef]
    forms: list[FormDef]


# -- subjects, forms, audit trail ----------------------------------------------------------------------------------

EventState = Literal["done", "done_out_of_window", "not_done", "due", "overdue", "upcoming"]


class SubjectEvent(Reply):
    event_oid: str
    repeat: int
    state: EventState
    planned_date: date | None
    window_start: date | None
    window_end: date | None
    actual_date: date | None
    not_done_reason: str | None


class Subject(Reply):
    key: str
    subject_no: str | None
    site: str
    status: str
    events: list[SubjectEvent]


class SubjectList(Reply):
    subjects: list[Subject]


StoredValue = Annotated[str | None, Field(
    description="The value as stored: canonical text (ISO 8601 dates, UTC times).")]


LockStateName = Literal["open", "frozen", "locked"]


class MissingAnswer(Reply):
    code: Literal[tuple(MISSING_CODES)]  # type: ignore[valid-type]
    reason: str | None


class CheckWarning(Reply):
    """A soft edit check that does not hold: the value is stored, and a system query is open on the item."""

    check_id: str
    item_oid: str
    message: str


class FormData(Reply):
    status: Literal["not_started", "incomplete", "complete"]
    version: int
    locked: bool = Field(description="True when the form is frozen or locked: no data change is possible.")
    lock_state: LockStateName = Field(description="open; frozen (queries and SDV go on, no data change); locked "
                                                  "(nothing changes). From the form's own lock or its visit's, "
                                                  "casebook's, site's, study's or an \"up to\" range's.")
    items: dict[str, StoredValue]
    missing: dict[str, MissingAnswer] = Field(
        default_factory=dict, description='Items answered "not done"/"unknown" instead of a value, with the reason.')
    missing_items: list[str] = Field(
        default_factory=list, description="Required items still without a value or an explicit answer (the form is "
                                          "complete when there are none).")
    warnings: list[CheckWarning] = Field(default_factory=list, description="Soft edit checks that do not hold.")


class AuditRecord(Reply):
    seq: int
    ts: Timestamp
    username: str
    role: str | None
    action: str
    entity: str
    entity_key: str | None
    site_code: str | None
    subject_key: str | None
    event_oid: str | None
    form_oid: str | None
    item_oid: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    hash: str


class AuditPage(Reply):
    records: list[AuditRecord]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page; null at the end.")


class CalculatedValue(Reply):
    value: StoredValue
    formula: str | None = Field(description="The formula and its version that gave the value; null without one.")
    missing: list[str] = Field(description="Why there is no value: the item OIDs lacking, on this form or the "
                                           "subject's others (date of birth, sex, height).")
    problem: str | None = Field(description="Why there is no value: the formula's refusal of the inputs.")


class CalculatedItems(Reply):
    items: dict[str, CalculatedValue] = Field(description="Each calculated item of the form, by item OID.")
    invalid: dict[str, str] = Field(description="Values that could not be read, with their message; a "
                                                "calculation sees them as missing.")


CellStatus = Literal[STATUSES]  # type: ignore[valid-type]  # the casebook's one vocabulary


class CasebookCell(Reply):
    form_oid: str
    status: CellStatus = Field(description="The form's display status, the first that holds of: " + "; ".join(
        f"{s}: {STATUS_MEANINGS[s]}" for s in reversed(STATUSES)) + ". The stored form status \"incomplete\" "
        "reads \"in_progress\" here.")
    required: bool = Field(description="Required by the schedule, or by a rule for this subject (the pregnancy "
                                       "test and contraception forms of a woman of childbearing potential).")
    count: int = Field(description="Entries of a repeating form; 0 for a form that does not repeat.")


class CasebookColumn(Reply):
    event_oid: str
    repeat: int
    heading: str
    cells: list[CasebookCell]


class CasebookRow(Reply):
    form_oid: str
    label: str


class Casebook(Reply):
    subject: str
    forms: list[CasebookRow] = Field(description="The grid's rows: forms in order of first appearance.")
    columns: list[CasebookColumn] = Field(description="Event occurrences in schedule order; a repeating event "
                                                      "has a column more for its next repeat once one is started.")


class ScreeningEntry(Reply):
    key: str
    site: str
    registered_at: Timestamp
    status: str
    subject_no: str | None
    screen_fail_reason: str | None


class ScreeningLog(Reply):
    subjects: list[ScreeningEntry]


class CalendarVisit(Reply):
    subject: str
    subject_no: str | None
    site: str
    event_oid: str
    event_label: str
    repeat: int
    state: Literal["overdue", "due", "upcoming", "done_out_of_window"]
    planned_date: date | None
    window_start: date | None
    window_end: date | None
    actual_date: date | None


class Calendar(Reply):
    days: int = Field(description="How many days ahead upcoming visits are listed.")
    visits: list[CalendarVisit]


class Token(Reply):
    prefix: str
    label: str
    status: Literal["active", "revoked", "expired"]
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class TokenList(Reply):
    tokens: list[Token]


class OpenAPI(RootModel[dict[str, Any]]):
    """This document."""


# -- the trial's path ----------------------------------------------------------------------------------------------

class Criterion(Reply):
    code: str
    label: str
    status: Literal["met", "not_met", "missing"]
    value: str
    missing: list[str] = Field(description="The item OIDs lacking for this criterion.")


class EligibilityReview(Reply):
    eligible: bool
    overridden: list[str]
    override_reason: str | None
    reviewed_at: Timestamp
    reviewed_by: str | None


class Eligibility(Reply):
    criteria: list[Criterion]
    all_met: bool
    failed: list[str]
    missing: list[str]
    review: EligibilityReview | None


class Enrolment(Reply):
    subject_no: str
    dose_level: int
    cohort_seq: int
    enrolled_on: date
    status: str


class ScreenFailure(Reply):
    key: str
    status: str
    screen_fail_reason: str


class Withdrawal(Reply):
    scope: str
    withdrawn_on: date
    note: str | None
    subject_status: str


class NotDone(Reply):
    event_oid: str
    repeat: int
    state: Literal["not_done"]
    not_done_reason: str


class DoseDecision(Reply):
    decided_on: date
    decision: str
    from_level: int
    to_level: int | None = Field(description="null after stop")
    rationale: str
    recorded_by: str | None
    recorded_at: Timestamp


class DoseLevels(Reply):
    current_level: int | None = Field(description="The level of the next enrolment; null once stopped.")
    decisions: list[DoseDecision]


class IcfVersion(Reply):
    version: str
    population: str
    approved_on: date
    registered_at: Timestamp


class IcfVersionList(Reply):
    versions: list[IcfVersion]


# -- electronic signatures ---------------------------------------------------------------------------------------

class SignatureBreak(Reply):
    form: str = Field(description="The locator key of the form whose change broke the signature.")
    items: list[str]


class Signature(Reply):
    id: int
    subject: str
    scope: Literal["form", "visit", "casebook", "eligibility"]
    key: str = Field(description="What is signed: the casebook, visit or form locator key.")
    event_oid: str | None
    event_repeat: int | None
    form_oid: str | None
    form_repeat: int | None
    meaning: str
    printed_name: str
    signed_by: str | None
    signed_at: Timestamp
    signed_at_site: str = Field(description="The same moment in the site's zone.")
    data_hash: str = Field(description="SHA-256 of the canonical JSON of the data covered.")
    state: Literal["valid", "broken"]
    broken_at: Timestamp | None
    broken_by: str | None
    broken_by_change: SignatureBreak | None


class SignatureList(Reply):
    signatures: list[Signature]


class OutstandingSignature(Reply):
    subject: str
    site: str
    scope: Literal["casebook", "visit"]
    event_oid: str | None
    event_repeat: int | None


class SignatureWorklist(Reply):
    outstanding: list[OutstandingSignature]
    broken: list[Signature]
# -- source-data verification -------------------------------------------------------------------------------------

SdvStateName = Literal["not_verified", "verified", "changed"]


class SdvCounts(Reply):
    required: int = Field(description="Items holding a value that the site's SDV plan requires verified.")
    verified: int = Field(description="Of those, verified at the value they hold.")
    changed: int = Field(description="Of those, changed since they were verified.")
    pending: int = Field(description="required - verified.")


class SdvItemState(Reply):
    oid: str
    state: SdvStateName
    required: bool = Field(description="The site's SDV plan requires this item verified for this subject.")
    critical: bool
    has_value: bool
    verified_value: str | None = Field(description="The value verified (reduced for roles that see it reduced).")
    verified_by: str | None
    verified_at: Timestamp | None
    changed_by: str | None
    changed_at: Timestamp | None


class FormSdv(Reply):
    subject: str
    event_oid: str
    event_repeat: int
    form_oid: str
    repeat: int
    locked: bool
    counts: SdvCounts
    items: list[SdvItemState]


class SdvWorkItem(Reply):
    subject: str
    site: str
    event_oid: str
    event_repeat: int
    form_oid: str
    repeat: int
    form_label: str
    locked: bool
    updated_at: Timestamp
    counts: SdvCounts


class SdvWorklist(Reply):
    forms: list[SdvWorkItem]


class SdvPlan(Reply):
    site: str
    full_first_n: int
    then: Literal["critical", "all", "none"]
    own: bool = Field(description="false: the site follows the study's default plan.")
    updated_by: str | None
    updated_at: Timestamp | None


class SdvSiteProgress(Reply):
    site: str
    plan: SdvPlan
    counts: SdvCounts


class SdvSubjectProgress(Reply):
    subject: str
    site: str
    counts: SdvCounts


class SdvProgress(Reply):
    sites: list[SdvSiteProgress]
    subjects: list[SdvSubjectProgress]


# -- errors: {"error": message, "status": N, ...} ------------------------------------------------------------------

# -- queries -------------------------------------------------------------------------------------------------------

QueryState = Literal["open", "answered", "closed", "cancelled"]


class QueryMessage(Reply):
    id: int
    step: Literal["raise", "answer", "close", "cancel", "reopen"]
    user_id: int | None = Field(description="null for the system (an edit check, or a data change).")
    role: str
    at: Timestamp
    text: str
    state_after: QueryState


class QueryLocation(Reply):
    subject: str
    site: str
    event_oid: str
    event_repeat: int
    form_oid: str
    form_repeat: int
    item_oid: str


class QueryThread(Reply):
    id: int
    state: QueryState
    raised_role: Literal["monitor", "data_manager", "system"]
    check_id: str | None = Field(description="The edit check of a system query; null for a person's.")
    raised_at: Timestamp
    updated_at: Timestamp
    location: QueryLocation
    messages: list[QueryMessage]
    steps: list[str] = Field(description="The steps you may take on it now (answer, close, cancel, reopen).")


class QueryRow(Reply):
    id: int
    state: QueryState
    raised_role: str
    check_id: str | None
    raised_at: Timestamp
    updated_at: Timestamp
    location: QueryLocation


class QueryList(Reply):
    queries: list[QueryRow]


class QueryCounts(Reply):
    open: int
    answered: int
    closed: int
    cancelled: int
    oldest_open: Timestamp | None = Field(description="When the oldest open query was raised; null when none is.")
    oldest_open_days: int | None


class SiteQueryCounts(Reply):
    site: str
    counts: QueryCounts


class QueryCountsReport(Reply):
    study: QueryCounts
    sites: list[SiteQueryCounts]


class Error(Reply):
    error: str
    status: int


class BadRequest(Error):
    unknown_items: list[str] | None = Field(None, description="Item OIDs the form does not have.")


class ConflictError(Error):
    current_version: int | None = Field(None, description="The form's version now: read it again.")


class ValidationError(Error):
    errors: dict[str, str] = Field(description="A message per field or item OID (or 'reason' for a missing or "
                                               "unacceptable reason for change).")
    unknown_fields: list[str] | None = Field(None, description="Fields the body may not have.")


#: the body of an error answer, by status
ERROR_MODELS: dict[int, type[Error]] = {400: BadRequest, 409: ConflictError, 422: ValidationError}


# -- freeze and lock -------------------------------------------------------------------------------------------------

class DataLock(Reply):
    id: int
    scope: Literal["form", "event", "subject", "site", "study"]
    level: Literal["frozen", "locked"]
    target: str = Field(description="study, site 01, a subject key, a visit key 01-S001/SE.M6[1] or a form key.")
    site_code: str | None
    subject: str | None
    event_oid: str | None
    event_repeat: int | None
    form_oid: str | None
    form_repeat: int | None
    up_to_event_oid: str | None = Field(description="Covers the scheduled visits up to and including this one "
                                                    "(not subject-level forms, unscheduled visits or end of "
                                                    "study); null: everything in the scope.")
    reason: str
    created_by: str | None
    created_at: Timestamp
    active: bool
    undone_by: str | None
    undone_at: Timestamp | None
    undo_reason: str | None


class DataLockList(Reply):
    locks: list[DataLock]


# -- dashboards ------------------------------------------------------------------------------------------------------

class SiteBoard(Reply):
    """The site staff's day at their sites."""

    overdue_visits: int
    missing_forms: int
    incomplete_forms: int
    queries: QueryCounts
    outstanding_signatures: int | None = Field(description="Investigators only: casebooks or visits with data and no "
                                                           "valid signature.")
    broken_signatures: int | None = Field(description="Investigators only: broken and not yet re-signed.")


class MonitorSiteFigures(Reply):
    site: str
    sdv: SdvCounts
    queries: QueryCounts


class MonitorSubjectFigures(Reply):
    subject: str
    site: str
    sdv: SdvCounts
    queries: QueryCounts


class MonitorBoard(Reply):
    sites: list[MonitorSiteFigures]
    subjects: list[MonitorSubjectFigures]
    sdv_worklist_forms: int = Field(description="Forms on the SDV worklist shown (at most 20; GET /sdv/worklist "
                                                "lists them all).")


class DataManagerBoard(Reply):
    queries: QueryCounts
    open_query_ageing: dict[str, int] = Field(description="Open queries by days since raised: 0-7, 8-14, 15-30, 31+.")
    active_locks: int = Field(description="Freezes and locks in force (GET /locks lists them).")
    outstanding_signatures: int
    broken_signatures: int


class EnrolmentMonth(Reply):
    month: str = Field(description="YYYY-MM.")
    enrolled: int = Field(description="Cumulative.")


class SponsorBoard(Reply):
    """Counts only: no subject codes."""

    target: int
    enrolled: int
    screened: int
    enrolment_by_month: list[EnrolmentMonth]
    subjects_by_status: dict[str, int]
    required_forms_expected: int
    required_forms_complete: int
    queries: QueryCounts
    sdv: SdvCounts


class Dashboard(Reply):
    board: Literal["site", "monitor", "data_manager", "sponsor"]
    site: SiteBoard | None = None
    monitor: MonitorBoard | None = None
    data_manager: DataManagerBoard | None = None
    sponsor: SponsorBoard | None = None


# -- exports ---------------------------------------------------------------------------------------------------------
JobState = Literal["queued", "running", "done", "failed", "expired"]


class ExportJob(Reply):
    """A background export: its progress, then its file (``file`` is the download path once ``state`` is done)."""

    id: int
    kind: str
    label: str
    state: JobState
    done: int
    total: int
    requested_at: Timestamp
    finished_at: Timestamp | None
    expires_at: Timestamp | None
    filename: str | None
    sha256: str | None
    size: int | None
    error: str | None
    file: str | None = Field(description="GET it with your token once the job is done; the download is audited.")


class ExportJobList(Reply):
    jobs: list[ExportJob]


# -- safety: serious adverse events and their reporting clocks ----------------------------------------------------

SaeReportType = Literal["INITIAL", "FOLLOWUP", "SUSAR", "SUSAR_FU"]
SaeClockState = Literal["sent", "sent_late", "overdue", "due_soon", "open"]


class SaeClock(Reply):
    type: SaeReportType
    label: str
    starts: Timestamp = Field(description="When the clock started: awareness, new information, or the 7-day report.")
    due: Timestamp
    due_site: str = Field(description="The due time in the site's zone.")
    sent: Timestamp | None = Field(description="When the report that stops this clock was sent; null while not.")
    sent_site: str | None
    state: SaeClockState = Field(description="sent (in time), sent_late, overdue (not sent, past due), due_soon "
                                             "(less than a quarter of the time allowed remains) or open.")


class SaeReport(Reply):
    type: str
    recipient: str | None
    sent_at: Timestamp
    sent_at_site: str
    form_repeat: int = Field(description="The record of the subject's SAE report log (F.SAERPT).")


class Sae(Reply):
    subject: str = Field(description="The subject's code: the subject number, else the screening number.")
    subject_key: str
    site: str
    ae_repeat: int = Field(description="The AE record (F.AE repeat) that is serious.")
    term: str | None
    grade: str | None
    onset: str | None
    awareness: Timestamp | None
    awareness_site: str | None
    susar: bool
    fatal_or_life_threatening: bool
    state: Literal["sent", "sent_late", "overdue", "due_soon", "open", "no_awareness"] | None
    clocks: list[SaeClock]
    reports: list[SaeReport]


class SaeList(Reply):
    rules: str
    now: Timestamp
    saes: list[Sae]
# -- efficacy (ecrf.efficacy.timeline) -----------------------------------------------------------------------------

class EfficacyOutcome(Reply):
    met: bool | None = Field(description="true met, false not met, null not assessable")
    reason: str = Field(description='"met", the criteria not met, or "cannot assess: <what is missing>"')


class EfficacyVisit(Reply):
    event_oid: str
    label: str
    date: date | None
    study_day: int | None = Field(description="days from the CAR-T infusion (day 0)")
    sledai: int | None = Field(description="SLEDAI-2K total")
    csledai: int | None = Field(description="clinical SLEDAI (without serology)")
    pga: float | None = Field(description="physician global assessment, 0-3")
    prednisone_mg: float | None = Field(description="prednisone-equivalent mg/day")
    antimalarial: bool | None
    immunosuppressants: list[str] | None
    bilag: dict[str, str] = Field(description="BILAG-2004 grade (A-E) by domain")
    haemolysis: bool | None
    doris: EfficacyOutcome
    lldas: EfficacyOutcome
    sri4: EfficacyOutcome


class DayValue(Reply):
    study_day: int
    value: float


class BCellCourse(Reply):
    aplasia_day: int | None
    recovery_day: int | None
    duration_days: int | None
    ongoing: bool
    threshold: str
    values: list[DayValue] = Field(description="CD19+ B cells, cells/µL")
    percent_values: list[DayValue] = Field(description="CD19+ B cells, % of lymphocytes")


class CarTKinetics(Reply):
    peak: float | None
    peak_day: int | None
    last_detectable_day: int | None
    unit: str
    persistence: dict[str, bool | None] = Field(description="detected from the landmark visit's window on")
    values: list[DayValue] = Field(description="CAR transgene by qPCR")
    flow_values: list[DayValue] = Field(description="CAR+ T cells, % of CD3+")


class SubjectEfficacy(Reply):
    subject: str
    infusion_date: date | None
    first_doris_day: int | None
    first_lldas_day: int | None
    visits: list[EfficacyVisit]
    bcell: BCellCourse
    cart: CarTKinetics
