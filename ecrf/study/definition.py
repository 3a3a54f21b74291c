"""The study definition: the schedule and the CRFs, indexed by OID and checked at start-up."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ecrf.study import checks as edit_checks
from ecrf.study import masking
from ecrf.study.crfs import FORMS
from ecrf.study.crfs.checks import CHECKS
from ecrf.study.schedule import SCHEDULE
from ecrf.study.types import MISSING_CODES, CodeList, DataType, Form, Item, StudyEvent

STUDY_OID = "S.CART19SLE"
STUDY_NAME = "Anti-CD19 CAR-T in refractory SLE"
PROTOCOL_NAME = "CART19-SLE-IIT (NCT07331467)"
METADATA_VERSION = "MDV.1"


class DefinitionError(ValueError):
    """The study definition is inconsistent; the message names the offending OID."""


@dataclass(frozen=True)
class Study:
    """All events and forms, with lookups. Built once per process by :func:`load`."""

    events: tuple[StudyEvent, ...]
    forms: tuple[Form, ...]
    checks: tuple[edit_checks.Check, ...] = ()
    _forms: dict[str, Form] = field(init=False, repr=False, compare=False)
    _events: dict[str, StudyEvent] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_forms", {f.oid: f for f in self.forms})
        object.__setattr__(self, "_events", {e.oid: e for e in self.events})

    def form(self, oid: str) -> Form | None:
        return self._forms.get(oid)

    def event(self, oid: str) -> StudyEvent | None:
        return self._events.get(oid)

    def event_has_form(self, event_oid: str, form_oid: str) -> bool:
        event = self.event(event_oid)
        return bool(event) and any(r.form_oid == form_oid for r in event.forms)

    @cached_property
    def _form_of_item(self) -> dict[str, str]:
        return {item.oid: form.oid for form in self.forms for item in form.items}

    def form_of(self, item_oid: str) -> str | None:
        """The OID of the form that holds the item."""
        return self._form_of_item.get(item_oid)

    @cached_property
    def _checks_by_form(self) -> dict[str, tuple[edit_checks.Check, ...]]:
        out: dict[str, list] = {}
        for check in self.checks:
            out.setdefault(self._form_of_item.get(check.item), []).append(check)
        return {oid: tuple(found) for oid, found in out.items()}

    def checks_on(self, form_oid: str) -> tuple[edit_checks.Check, ...]:
        """The edit checks evaluated when the form is saved (those whose message shows on it)."""
        return self._checks_by_form.get(form_oid, ())

    def missing_required(self, form: Form, values, flags=None) -> list[Item]:
        """The form's items still to be answered: required (always, or by a required-if check now) and without a
        value or an explicit "not done"/"unknown" (``flags``: OID -> missing code)."""
        flags = flags or {}
        wanted = edit_checks.required_now(self.checks_on(form.oid), values)
        return [i for i in form.items if (i.required or i.oid in wanted) and values.get(i.oid) in (None, "")
                and not (flags.get(i.oid) and flags[i.oid] in i.missing_allowed)]

    @cached_property
    def items(self) -> dict[str, Item]:
        return {item.oid: item for form in self.forms for item in form.items}

    @cached_property
    def codelists(self) -> dict[str, CodeList]:
        return {i.codelist.oid: i.codelist for i in self.items.values() if i.codelist}

    def check(self) -> None:
        """Raise DefinitionError on duplicate OIDs, bad ranges, dangling or orphan forms."""
        seen: dict[str, str] = {}

        def unique(oid: str, kind: str) -> None:
            if oid in seen:
                raise DefinitionError(f"duplicate OID {oid} ({kind}, already used by a {seen[oid]})")
            seen[oid] = kind

        codelists: dict[str, CodeList] = {}
        for event in self.events:
            unique(event.oid, "study event")
            for ref in event.forms:
                if ref.form_oid not in self._forms:
                    raise DefinitionError(f"study event {event.oid} refers to undefined form {ref.form_oid}")
        used = {ref.form_oid for event in self.events for ref in event.forms}
        for form in self.forms:
            unique(form.oid, "form")
            if form.oid not in used:
                raise DefinitionError(f"form {form.oid} is in no study event")
            for group in form.groups:
                unique(group.oid, "item group")
                for item in group.items:
                    unique(item.oid, "item")
                    _check_item(item)
                    if item.codelist:
                        known = codelists.setdefault(item.codelist.oid, item.codelist)
                        if known != item.codelist:
                            raise DefinitionError(f"code list {item.codelist.oid} is defined twice, differently")
        for event in self.events:
            self._check_date_item(event)
        self._check_checks()

    def _check_date_item(self, event: StudyEvent) -> None:
        """A visit names its visit-date item, a required date or date-time of its first form (a required, not
        repeating form), so the visit is dated by what is entered first and by nothing else; the subject-level
        (Common) event is no visit and names none."""
        if event.type == "Common":
            if event.date_item is not None:
                raise DefinitionError(f"study event {event.oid} is subject-level: it has no visit date item")
            return
        if event.date_item is None:
            raise DefinitionError(f"study event {event.oid} names no visit date item")
        first = event.forms[0] if event.forms else None
        form = self._forms[first.form_oid] if first else None
        item = next((i for i in form.items if i.oid == event.date_item), None) if form else None
        if item is None:
            owner = self._form_of_item.get(event.date_item)
            where = f"is on {owner}" if owner else "is not defined"
            raise DefinitionError(f"study event {event.oid}: visit date item {event.date_item} {where}, not on its "
                                  f"first form {first.form_oid if first else '(none)'}")
        if item.data_type not in (DataType.DATE, DataType.DATETIME) or not item.required or item.partial:
            raise DefinitionError(f"study event {event.oid}: visit date item {item.oid} must be a required full date")
        if not first.required or form.repeating:
            raise DefinitionError(f"study event {event.oid}: the form of its visit date, {form.oid}, must be "
                                  "required and not repeating")

    def _check_checks(self) -> None:
        """Every edit check names known items: what it reads on its own form, what it needs from others."""
        ids: set[str] = set()
        owner = self._form_of_item
        for check in self.checks:
            if check.id in ids:
                raise DefinitionError(f"duplicate edit check id {check.id}")
            ids.add(check.id)
            for oid in check.oids:
                if oid not in owner:
                    raise DefinitionError(f"edit check {check.id} names unknown item OID {oid}")
            form = owner[check.item]
            for oid in check.reads:
                if owner[oid] != form:
                    raise DefinitionError(f"edit check {check.id} reads {oid} of {owner[oid]} as if it were on "
                                          f"{form}: name it in needs")
            if not isinstance(check.severity, edit_checks.Severity):
                raise DefinitionError(f"edit check {check.id} has no severity (hard or soft)")


def _check_item(item: Item) -> None:
    if item.min is not None and item.max is not None and item.min > item.max:
        raise DefinitionError(f"item {item.oid} has min {item.min} > max {item.max}")
    if (item.data_type is DataType.CODELIST) != (item.codelist is not None):
        raise DefinitionError(f"item {item.oid}: a code list item needs a code list, and only it")
    if item.codelist is not None and len(set(item.codelist.values)) != len(item.codelist.values):
        raise DefinitionError(f"code list {item.codelist.oid} has duplicate coded values")
    if (item.min is not None or item.max is not None) and item.data_type not in (DataType.INTEGER, DataType.FLOAT):
        raise DefinitionError(f"item {item.oid}: ranges apply only to numbers")
    if item.identifying is not None and item.identifying not in masking.KINDS:
        raise DefinitionError(f"item {item.oid}: unknown masking kind {item.identifying!r} "
                              f"(known: {', '.join(sorted(masking.KINDS))})")
    for code in item.missing_allowed:
        if code not in MISSING_CODES:
            raise DefinitionError(f"item {item.oid}: unknown missing code {code!r} (known: {', '.join(MISSING_CODES)})")
    if item.calculated and item.missing_allowed:
        raise DefinitionError(f"item {item.oid}: a calculated item cannot be marked not done")
    if item.partial is not None and (item.data_type is not DataType.DATE or item.partial not in ("year", "month")):
        raise DefinitionError(f"item {item.oid}: only a date may be partial, to its \"year\" or \"month\"")
    if item.identifying == masking.YEAR and item.data_type not in (DataType.DATE, DataType.DATETIME):
        raise DefinitionError(f"item {item.oid}: only a date can be reduced to its year")


_STUDY: Study | None = None


def load() -> Study:
    """The study of this build, checked once (fails fast at start-up)."""
    global _STUDY
    if _STUDY is None:
        study = Study(SCHEDULE, FORMS, CHECKS)
        study.check()
        _STUDY = study
    return _STUDY
