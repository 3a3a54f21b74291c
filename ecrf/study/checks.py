"""Edit checks declared with the study definition: what a check is, what it found, and how severe it is.

A *hard* check refuses the value (nothing is stored); a *soft* check lets it be stored and opens a system
query on the item, which closes itself when a later save satisfies the check.

A check is a pure function over named item OIDs: ``reads`` are items of the form it is declared on (the form
that holds ``item``, where its message shows), ``needs`` are items of the subject's other forms read as their
latest value, ``first`` items of other forms read as their earliest value (the first consent). The function
``holds(values, facts, ctx)`` answers True when the data are consistent; a check whose inputs are missing holds
(missing data is the business of completeness, not of a check). ``records`` are items of a subject-level,
repeating log (the AE log, the medication log) read in every record: ``facts[RECORDS]`` maps each such form OID
to {record number: {item OID: value}} (a CRS assessment names its adverse event by record number). The loader
(``Study.check``) refuses a check
naming an OID the study does not define.

The kinds: :func:`in_range` (plausibility, inside the hard ``Item.min``/``max`` limits), :func:`required_if`
and :func:`detail_if_yes` (an item the form needs because of another answer: they also make the form
incomplete while the condition holds and the item is empty), :func:`before` (cross-field: diastolic below
systolic, an end after its start), :func:`within_percent` (cross-form: the infusion weight against the
lymphodepletion weight), :func:`not_before_first` and :func:`within_participation` (cross-form dates),
:func:`absent_if` (an answer that contradicts another: vasopressors with "no hypotension"), and
:func:`consistent` (a consistency the trial states as a function: a systolic pressure below the age limit with
"no hypotension", a CRS assessment naming an AE record that is not a CRS).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum

from ecrf.study import codec

#: the key of a check's facts holding the records of the logs it reads (see the module docstring)
RECORDS = "@records"


class Severity(str, Enum):
    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True)
class Finding:
    """A soft check that does not hold for a form now: shown at ``item_oid``, raised as a system query there."""

    check_id: str
    item_oid: str
    message: str


Holds = Callable[[Mapping, Mapping, object], bool]


@dataclass(frozen=True)
class Check:
    """One edit check: ``holds(values, facts, ctx)`` over the OIDs it names (see the module docstring)."""

    id: str
    severity: Severity
    item: str
    message: str
    holds: Holds
    reads: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    first: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    #: for required-if: the item this check makes required while its condition holds
    requires: str | None = None
    condition: Callable[[Mapping], bool] | None = None

    @property
    def oids(self) -> tuple[str, ...]:
        """Every item OID the check names."""
        return (self.item, *self.reads, *self.needs, *self.first, *self.records)

    def finding(self) -> Finding:
        return Finding(self.id, self.item, self.message)


def _empty(value) -> bool:
    return value is None or value == ""


def _number(value) -> Decimal | None:
    try:
        return None if _empty(value) else Decimal(str(value))
    except InvalidOperation:
        return None


def _day(value, ctx) -> date | None:
    """The site-local calendar day of a stored date or date-time."""
    return None if _empty(value) else codec.local_date(value, ctx.tz)


def _span(value, ctx) -> tuple[date, date] | None:
    """The first and last site-local day a stored date may be: the same day twice unless it is partial."""
    return None if _empty(value) else codec.date_span(str(value), ctx.tz)


def _comparable(value, ctx, as_day: bool):
    if _empty(value):
        return None
    if as_day:
        return _day(value, ctx)
    number = _number(value)
    if number is not None:
        return number
    return codec.decode_datetime(value) if "T" in str(value) else codec.decode_date(value)


# -- the kinds ------------------------------------------------------------------------------------------------

def in_range(id: str, oid: str, lo, hi, message: str, severity: Severity = Severity.SOFT) -> Check:
    """A plausibility range (the hard limits are ``Item.min``/``max``): ``lo <= value <= hi``."""
    lo_d, hi_d = Decimal(str(lo)), Decimal(str(hi))

    def holds(values, facts, ctx) -> bool:
        number = _number(values.get(oid))
        return number is None or lo_d <= number <= hi_d

    return Check(id, severity, oid, message, holds, reads=(oid,))


def required_if(id: str, oid: str, when: str, equals: tuple[str, ...], message: str,
                severity: Severity = Severity.SOFT) -> Check:
    """``oid`` must have a value when ``when`` has one of ``equals`` (the form is incomplete until it has)."""

    def condition(values) -> bool:
        return values.get(when) in equals

    def holds(values, facts, ctx) -> bool:
        return not condition(values) or not _empty(values.get(oid))

    return Check(id, severity, oid, message, holds, reads=(when, oid), requires=oid, condition=condition)


def detail_if_yes(id: str, detail: str, flag: str, message: str, severity: Severity = Severity.SOFT) -> Check:
    """A "yes" that needs its detail: ``detail`` must be given when ``flag`` is yes (BOOLEAN true or NY "Y")."""
    return required_if(id, detail, flag, ("true", "Y"), message, severity)


def before(id: str, earlier: str, later: str, message: str, *, strict: bool = True, show_at: str | None = None,
           severity: Severity = Severity.HARD, by_day: bool = False, partial: bool = False) -> Check:
    """Cross-field order on one form: ``earlier < later`` (``<=`` when not strict); numbers, dates or date-times
    (``by_day`` compares date-times by their site-local day, so a date may be compared with a date-time).

    ``partial``: the items are dates that may be partial (``Item.partial``). A partial date is compared at its
    precision, as the period of days it stands for: the order is wrong only when it is wrong for every day of
    both periods, that is when the first day of ``earlier`` is after (strict: on or after) the last day of
    ``later``. So ``2018`` before ``2018-03-15`` holds (it may be January), ``2019`` before it does not; a
    check never fails on what the data cannot tell."""

    def holds(values, facts, ctx) -> bool:
        if partial:
            a, b = _span(values.get(earlier), ctx), _span(values.get(later), ctx)
            if a is None or b is None:
                return True
            return a[0] < b[1] if strict else a[0] <= b[1]
        a, b = _comparable(values.get(earlier), ctx, by_day), _comparable(values.get(later), ctx, by_day)
        if a is None or b is None or type(a) is not type(b):
            return True
        return a < b if strict else a <= b

    return Check(id, severity, show_at or later, message, holds, reads=(earlier, later))


def within_percent(id: str, oid: str, reference: str, percent, message: str,
                   severity: Severity = Severity.SOFT) -> Check:
    """Cross-form: ``oid`` on this form within ``percent`` % of ``reference`` (latest value on another form);
    exactly ``percent`` % off holds."""
    share = Decimal(str(percent)) / 100

    def holds(values, facts, ctx) -> bool:
        value, ref = _number(values.get(oid)), _number(facts.get(reference))
        if value is None or ref is None or ref == 0:
            return True
        return abs(value - ref) <= share * ref

    return Check(id, severity, oid, message, holds, reads=(oid,), needs=(reference,))


def not_before_first(id: str, oid: str, reference: str, message: str, severity: Severity = Severity.SOFT) -> Check:
    """Cross-form: the site-local day of ``oid`` is on or after the earliest ``reference`` of the subject (a partial
    date, at its precision: wrong only when its last day is before the reference, see :func:`before`)."""

    def holds(values, facts, ctx) -> bool:
        span, ref = _span(values.get(oid), ctx), _span(facts.get(reference), ctx)
        return span is None or ref is None or span[1] >= ref[0]

    return Check(id, severity, oid, message, holds, reads=(oid,), first=(reference,))


def within_participation(id: str, oid: str, start: str, ends: tuple[str, ...], message: str,
                         severity: Severity = Severity.SOFT) -> Check:
    """Cross-form: the day of ``oid`` lies inside the subject's participation, from the earliest ``start`` (the
    first consent) to the earliest of the ``ends`` recorded (end of study, death), both days included; a partial
    date is outside only when every day of it is (see :func:`before`)."""

    def holds(values, facts, ctx) -> bool:
        span = _span(values.get(oid), ctx)
        if span is None:
            return True
        begin = _span(facts.get(start), ctx)
        if begin is not None and span[1] < begin[0]:
            return False
        stops = [d[1] for d in (_span(facts.get(e), ctx) for e in ends) if d is not None]
        return not stops or span[0] <= min(stops)

    return Check(id, severity, oid, message, holds, reads=(oid,), needs=ends, first=(start,))


def _nothing(value) -> bool:
    """No value, or a value that says "none": zero, or a "no"."""
    if _empty(value) or value in ("false", "N"):
        return True
    number = _number(value)
    return number is not None and number == 0


def absent_if(id: str, oid: str, when: str, equals: tuple[str, ...], message: str,
              severity: Severity = Severity.HARD) -> Check:
    """``oid`` must be empty, zero or "no" when ``when`` has one of ``equals``: an answer that contradicts
    another (a vasopressor count with "no hypotension", an oxygen flow with the device "none")."""

    def holds(values, facts, ctx) -> bool:
        return values.get(when) not in equals or _nothing(values.get(oid))

    return Check(id, severity, oid, message, holds, reads=(when, oid))


def consistent(id: str, oid: str, message: str, holds: Holds, *, reads: tuple[str, ...] = (),
               needs: tuple[str, ...] = (), records: tuple[str, ...] = (),
               severity: Severity = Severity.SOFT) -> Check:
    """A consistency the trial states as a function ``holds(values, facts, ctx)`` over the OIDs named (shown at
    ``oid``): ``needs`` latest values of other forms, ``records`` every record of a log (``facts[RECORDS]``)."""
    return Check(id, severity, oid, message, holds, reads=tuple(dict.fromkeys((oid, *reads))), needs=needs,
                 records=records)


# -- evaluating -----------------------------------------------------------------------------------------------

def evaluate(checks, values: Mapping, latest: Mapping, earliest: Mapping, ctx,
             records: Mapping[str, Mapping[int, Mapping]] | None = None) -> tuple[dict[str, str], list[Finding]]:
    """Run ``checks`` over one form's values, each given the facts it names (``latest`` values of its ``needs``,
    ``earliest`` of its ``first``, the ``records`` of the logs by form OID): (hard messages by item OID, joined
    when several; soft findings)."""
    hard: dict[str, str] = {}
    soft: list[Finding] = []
    for check in checks:
        facts = {**{oid: latest.get(oid) for oid in check.needs}, **{oid: earliest.get(oid) for oid in check.first}}
        if check.records:
            facts[RECORDS] = records or {}
        if check.holds(values, facts, ctx):
            continue
        if check.severity is Severity.HARD:
            hard[check.item] = f"{hard[check.item]} {check.message}" if check.item in hard else check.message
        else:
            soft.append(check.finding())
    return hard, soft


def required_now(checks, values: Mapping) -> set[str]:
    """The items the required-if checks make required for these values."""
    return {c.requires for c in checks if c.requires and c.condition and c.condition(values)}


def same_day(id: str, day: str, moment: str, message: str, severity: Severity = Severity.HARD) -> Check:
    """Cross-field: the site-local day of the date-time ``moment`` is the date ``day`` (a date entered with, and
    apart from, its time must not disagree with it); shown at ``moment``."""

    def holds(values, facts, ctx) -> bool:
        a, b = _day(values.get(day), ctx), _day(values.get(moment), ctx)
        return a is None or b is None or a == b

    return Check(id, severity, moment, message, holds, reads=(day, moment))
