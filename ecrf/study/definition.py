"""The study definition: the schedule and the CRFs, indexed by OID and checked at start-up."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ecrf.study import masking
from ecrf.study.crfs import FORMS
from ecrf.study.schedule import SCHEDULE
from ecrf.study.types import CodeList, DataType, Form, Item, StudyEvent

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
    if item.identifying == masking.YEAR and item.data_type not in (DataType.DATE, DataType.DATETIME):
        raise DefinitionError(f"item {item.oid}: only a date can be reduced to its year")


_STUDY: Study | None = None


def load() -> Study:
    """The study of this build, checked once (fails fast at start-up)."""
    global _STUDY
    if _STUDY is None:
        study = Study(SCHEDULE, FORMS)
        study.check()
        _STUDY = study
    return _STUDY
