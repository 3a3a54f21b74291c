"""The ODM ``Study`` element, generated from the study definition (ecrf.study.definition): GlobalVariables,
BasicDefinitions (every measurement unit the CRFs use) and the MetaDataVersion (Protocol, StudyEventDef, FormDef,
ItemGroupDef, ItemDef with units and range checks, CodeList, MethodDef for calculated items).

The metadata describes the values as the reader's role receives them: an item the role sees reduced to its year
is declared a partial date, and an item it sees withheld is declared text (the value is then a mark, not a date)."""
from __future__ import annotations

from decimal import Decimal

from ecrf.exports.odm_xml import MISSING_CODELIST, attrs, leaf, q, translated, unit_oids, yes
from ecrf.study import masking
from ecrf.study.definition import METADATA_VERSION, PROTOCOL_NAME, STUDY_NAME, STUDY_OID, Study
from ecrf.study.types import MISSING_CODES, DataType, Item, StudyEvent

_PARTIAL = {DataType.DATE: "partialDate", DataType.DATETIME: "partialDatetime"}


def data_type(item: Item, role: str) -> str:
    """The ODM DataType of ``item``'s values as ``role`` receives them (a code list item: its code list's)."""
    if masking.reduces(item, role):
        return _PARTIAL[item.data_type] if item.identifying == masking.YEAR and role in masking.REDUCED_VIEW \
            else "text"
    if item.data_type is DataType.CODELIST:
        return item.codelist.data_type
    if item.partial:  # ODM 1.3.2 partialDate: YYYY, YYYY-MM or YYYY-MM-DD, as stored
        return _PARTIAL[item.data_type]
    return item.data_type.value


def _number(value) -> str:
    """A range limit as plain decimal text (``100000``, ``0.5``: never ``1E+5``)."""
    if isinstance(value, int):
        return str(value)
    return format(Decimal(str(value)).normalize(), "f")


def _digits(value) -> int:
    return len(str(abs(int(value))))


def length(item: Item) -> tuple[int | None, int | None]:
    """(Length, SignificantDigits) where the definition bounds them: text and codes by their longest allowed
    value, numbers by the digits their range allows (with the decimals of a float)."""
    kind = item.data_type
    if kind is DataType.TEXT:
        return item.max_length, None
    if kind is DataType.CODELIST:
        return max(len(v) for v in item.codelist.values), None
    if kind not in (DataType.INTEGER, DataType.FLOAT) or item.min is None or item.max is None:
        return None, item.decimals if kind is DataType.FLOAT else None
    whole = max(_digits(item.min), _digits(item.max))
    if kind is DataType.INTEGER:
        return whole, None
    return whole + (item.decimals or 0), item.decimals


def write_study(xf, study: Study, role: str) -> None:
    units = unit_oids(i.units for i in study.items.values() if i.units)
    with xf.element(q("Study"), OID=STUDY_OID):
        with xf.element(q("GlobalVariables")):
            leaf(xf, "StudyName", STUDY_NAME)
            leaf(xf, "StudyDescription", f"{STUDY_NAME} ({PROTOCOL_NAME})")
            leaf(xf, "ProtocolName", PROTOCOL_NAME)
        with xf.element(q("BasicDefinitions")):
            for unit, oid in units.items():
                with xf.element(q("MeasurementUnit"), OID=oid, Name=unit):
                    translated(xf, "Symbol", unit)
        with xf.element(q("MetaDataVersion"), OID=METADATA_VERSION, Name=f"{PROTOCOL_NAME} CRFs {METADATA_VERSION}"):
            _protocol(xf, study)
            for event in study.events:
                _event(xf, event)
            for form in study.forms:
                with xf.element(q("FormDef"), OID=form.oid, Name=form.label, Repeating=yes(form.repeating)):
                    if form.help:
                        translated(xf, "Description", form.help)
                    for n, group in enumerate(form.groups, 1):
                        leaf(xf, "ItemGroupRef", ItemGroupOID=group.oid, OrderNumber=str(n),
                             Mandatory=yes(any(i.required for i in group.items)))
            for form in study.forms:
                for group in form.groups:
                    with xf.element(q("ItemGroupDef"), attrs(OID=group.oid, Name=group.label, Repeating="No",
                                                             Domain=group.domain)):
                        for n, item in enumerate(group.items, 1):
                            leaf(xf, "ItemRef", ItemOID=item.oid, OrderNumber=str(n), Mandatory=yes(item.required),
                                 MethodOID=_method_oid(item.calculated) if item.calculated else None)
            for item in study.items.values():
                _item(xf, item, role, units)
            for codelist in study.codelists.values():
                _codelist(xf, codelist.oid, codelist.name, codelist.data_type,
                          ((c.value, c.label) for c in codelist.items))
            _codelist(xf, MISSING_CODELIST, "Explicit answers for a value that is not there", "text",
                      MISSING_CODES.items())
            for name in sorted({i.calculated for i in study.items.values() if i.calculated}):
                with xf.element(q("MethodDef"), OID=_method_oid(name), Name=name, Type="Computation"):
                    translated(xf, "Description", f"Derived by the system (calculator {name}); read-only on the "
                                                  "form, recomputed whenever its inputs change.")


def _protocol(xf, study: Study) -> None:
    with xf.element(q("Protocol")):
        for n, event in enumerate(study.events, 1):
            leaf(xf, "StudyEventRef", StudyEventOID=event.oid, OrderNumber=str(n),
                 Mandatory=yes(event.type != "Unscheduled"))


def _event(xf, event: StudyEvent) -> None:
    with xf.element(q("StudyEventDef"), OID=event.oid, Name=event.label, Repeating=yes(event.repeating),
                    Type=event.type):
        if event.day is not None:
            translated(xf, "Description", f"Target day {event.day} from {event.anchor}, window "
                                          f"-{event.window_before}/+{event.window_after} days")
        for n, ref in enumerate(event.forms, 1):
            leaf(xf, "FormRef", FormOID=ref.form_oid, OrderNumber=str(n), Mandatory=yes(ref.required))


def _item(xf, item: Item, role: str, units: dict[str, str]) -> None:
    kind = data_type(item, role)
    size, significant = (None, None) if masking.reduces(item, role) else length(item)
    with xf.element(q("ItemDef"), attrs(OID=item.oid, Name=item.label, DataType=kind,
                                        Length=None if size is None else str(size),
                                        SignificantDigits=None if significant is None else str(significant),
                                        SDSVarName=item.sdtm)):
        if item.help:
            translated(xf, "Description", item.help)
        translated(xf, "Question", item.label)
        if item.units:
            leaf(xf, "MeasurementUnitRef", MeasurementUnitOID=units[item.units])
        unit = f" {item.units}" if item.units else ""
        for comparator, limit, words in (("GE", item.min, "at least"), ("LE", item.max, "at most")):
            if limit is None:
                continue
            with xf.element(q("RangeCheck"), Comparator=comparator, SoftHard="Hard"):
                leaf(xf, "CheckValue", _number(limit))
                translated(xf, "ErrorMessage", f"{item.label} must be {words} {_number(limit)}{unit}.")
        if item.codelist:
            leaf(xf, "CodeListRef", CodeListOID=item.codelist.oid)


def _codelist(xf, oid: str, name: str, kind: str, pairs) -> None:
    with xf.element(q("CodeList"), OID=oid, Name=name, DataType=kind):
        for n, (value, label) in enumerate(pairs, 1):
            with xf.element(q("CodeListItem"), CodedValue=value, OrderNumber=str(n)):
                translated(xf, "Decode", label)


def _method_oid(name: str) -> str:
    return f"MT.{name}"
