"""The vocabulary of a CRF definition: code lists, items, item groups and forms.

These are plain frozen dataclasses, shaped after CDISC ODM 1.3.2 metadata
(CodeList, ItemDef, ItemGroupDef, FormDef), so one declaration can drive the
web form, server-side validation, storage, the API, ODM export and the blank CRF.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum


class DataType(str, Enum):
    """ODM data types used by this study."""

    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DATE = "date"
    DATETIME = "datetime"
    CODELIST = "codelist"  # stored as the coded value; ODM DataType comes from the code list
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class CodeListItem:
    """One coded value and the label a user sees."""

    value: str
    label: str


@dataclass(frozen=True)
class CodeList:
    """A closed list of coded values (ODM CodeList)."""

    oid: str
    name: str
    items: tuple[CodeListItem, ...]
    data_type: str = "text"  # ODM CodeList DataType: text or integer

    def label(self, value: str | None) -> str | None:
        for item in self.items:
            if item.value == value:
                return item.label
        return value

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(i.value for i in self.items)


def codelist(oid: str, name: str, *pairs: tuple[str, str], data_type: str = "text") -> CodeList:
    """Shorthand: ``codelist("CL.NY", "No/Yes", ("N", "No"), ("Y", "Yes"))``."""
    return CodeList(oid, name, tuple(CodeListItem(v, label) for v, label in pairs), data_type)


NOT_DONE, UNKNOWN = "NOT_DONE", "UNKNOWN"
#: the explicit answers for a value that is not there, and how a form shows them
MISSING_CODES: dict[str, str] = {NOT_DONE: "Not done", UNKNOWN: "Unknown"}


@dataclass(frozen=True)
class Item:
    """One question on a CRF (ODM ItemDef plus its RangeChecks).

    ``min``/``max`` are hard limits: a value outside them is refused. Dates
    default to "not in the future" because almost every clinical observation
    date is in the past; set ``allow_future=True`` where the protocol plans ahead.
    ``identifying`` marks a value that could identify the participant and names how it is
    reduced for readers who need no identity (ecrf.study.masking: "year" or "mask").
    ``critical`` marks a value the monitor verifies against source for every subject whatever the site's SDV
    plan (consent, eligibility, dosing, serious adverse events, primary endpoints): see :func:`critical`.
    ``partial`` lets a date be entered as ``2018-03`` or ``2018`` (see ecrf.study.validation).
    """

    oid: str
    label: str
    data_type: DataType
    units: str | None = None
    min: Decimal | int | float | None = None
    max: Decimal | int | float | None = None
    required: bool = False
    help: str = ""
    codelist: CodeList | None = None
    max_length: int = 2000
    decimals: int | None = None  # significant decimal places allowed for floats
    allow_future: bool = False
    sdtm: str | None = None  # CDASH/SDTM variable name, for dataset exports
    calculated: str | None = None  # name of the clinical calculator that derives it (read-only on forms)
    identifying: str | None = None  # masking kind for roles that see no identity (ecrf.study.masking.KINDS)
    #: the explicit "no value" answers this item accepts instead of a value, each with a reason (MISSING_CODES);
    #: a required item so answered counts as answered for completeness
    missing_allowed: tuple[str, ...] = ()
    critical: bool = False  # always source-verified (ecrf.sdv.plan), whatever the site's plan
    #: a date that may be known only to its month or year (history dates): the coarsest precision accepted,
    #: "month" (YYYY-MM) or "year" (YYYY or YYYY-MM), stored at ISO 8601 reduced precision; None: full dates only
    partial: str | None = None


@dataclass(frozen=True)
class ItemGroup:
    """A block of items shown together (ODM ItemGroupDef)."""

    oid: str
    label: str
    items: tuple[Item, ...]
    domain: str | None = None  # SDTM domain (VS, LB, AE ...)


@dataclass(frozen=True)
class Form:
    """A CRF (ODM FormDef)."""

    oid: str
    label: str
    groups: tuple[ItemGroup, ...]
    repeating: bool = False
    help: str = ""

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for group in self.groups for item in group.items)


def group(oid: str, label: str, *items: Item, domain: str | None = None) -> ItemGroup:
    """Shorthand for an item group."""
    return ItemGroup(oid, label, tuple(items), domain)


def form(oid: str, label: str, *groups: ItemGroup, repeating: bool = False, help: str = "") -> Form:
    """Shorthand for a form."""
    return Form(oid, label, tuple(groups), repeating, help)


def critical(definition: Form, *oids: str) -> Form:
    """``definition`` with the items ``oids`` marked critical (declared next to the form, one line per form).

    An OID the form does not have is a definition error (a typo must not leave a critical item unverified).
    """
    known = {item.oid for item in definition.items}
    if unknown := sorted(set(oids) - known):
        raise ValueError(f"form {definition.oid} has no items {', '.join(unknown)} to mark critical")
    marked = set(oids)
    return replace(definition, groups=tuple(
        replace(g, items=tuple(replace(i, critical=True) if i.oid in marked else i for i in g.items))
        for g in definition.groups))


@dataclass(frozen=True)
class FormRef:
    """A form expected at a study event."""

    form_oid: str
    required: bool = True


@dataclass(frozen=True)
class StudyEvent:
    """A visit of the schedule (ODM StudyEventDef plus its window).

    ``anchor`` names the date the target day counts from: ``consent`` for
    screening, ``infusion`` (day 0) for everything from lymphodepletion on.
    A ``day`` of None means unplanned (leukapheresis happens when eligibility
    is confirmed; unscheduled and end-of-study visits happen when they happen).
    ``date_item`` names the item whose (site-local) date is the visit's date: an item of the visit's
    first form (the study definition refuses anything else), or None for the subject-level event, which
    is no visit. Only it dates the visit: a history date on another form (SLE diagnosis, a dosing weight)
    never does.
    """

    oid: str
    label: str
    forms: tuple[FormRef, ...]
    day: int | None = None
    window_before: int = 0
    window_after: int = 0
    anchor: str = "infusion"
    repeating: bool = False
    type: str = "Scheduled"  # ODM: Scheduled | Unscheduled | Common
    short: str = ""  # column heading in the casebook grid
    date_item: str | None = None  # the item that is the visit date (see above)

    @property
    def heading(self) -> str:
        return self.short or self.label

