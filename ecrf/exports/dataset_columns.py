"""The columns of the analysis datasets: one dataset per form, its rows keyed by subject, event and repeats, a
column per item. One list of columns drives the CSV header, the data dictionary and the Dataset-JSON metadata,
so the three cannot disagree.

Item columns are named by the item OID, not the SDTM variable: an OID is unique in the study and every item has
one, while SDTM annotations are neither (the infusion form carries three sets of vital signs on the same VSORRES
variables, the key columns have none, and many items map to no SDTM variable). The SDTM variable and domain go in
the dictionary, where a mapping program reads them.

An item that may be answered "not done" or "unknown" instead of a value (``Item.missing_allowed``) has two more
columns after its value, ``<OID>_ND`` (the code: NOT_DONE, UNKNOWN) and ``<OID>_NDREAS`` (the reason given), so a
value column only ever holds values of its type.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ecrf.study import masking
from ecrf.study.codec import decode_datetime
from ecrf.study.definition import STUDY_OID, Study
from ecrf.study.types import MISSING_CODES, DataType, Form, Item, ItemGroup

ND, NDREAS = "_ND", "_NDREAS"

#: Dataset-JSON 1.1 dataType of each definition data type (a code list's comes from the code list)
JSON_TYPES = {DataType.TEXT: "string", DataType.INTEGER: "integer", DataType.FLOAT: "decimal",
              DataType.DATE: "date", DataType.DATETIME: "datetime", DataType.BOOLEAN: "boolean"}

FORM_STATUSES = "incomplete=Incomplete (required items still without a value); complete=Complete"


@dataclass(frozen=True)
class Column:
    name: str  # the CSV header and the Dataset-JSON name
    oid: str  # Dataset-JSON itemOID
    label: str
    data_type: str  # Dataset-JSON dataType
    length: int | None = None
    key: int | None = None  # Dataset-JSON keySequence
    units: str = ""
    codelist: str = ""
    choices: str = ""  # "code=label; ..."
    sdtm: str = ""
    domain: str = ""
    note: str = ""

    @property
    def target(self) -> str | None:
        """Dataset-JSON targetDataType: decimals travel as strings (exact) and are read as decimals; dates and
        date-times stay ISO 8601 text (a date reduced to its year for a sponsor is no integer date)."""
        return "decimal" if self.data_type == "decimal" else None

    def metadata(self) -> dict:
        out = {"itemOID": self.oid, "name": self.name, "label": self.label, "dataType": self.data_type}
        if self.target:
            out["targetDataType"] = self.target
        if self.length:
            out["length"] = self.length
        if self.key:
            out["keySequence"] = self.key
        return out

    @property
    def typed(self):
        """A function: the stored text as the JSON value of this column's type; None where it is no such value (a
        withheld mark in a date column, a legacy value the codec cannot read): the CSV keeps the text."""
        return _TYPED.get(self.data_type, _text)


# a date column holds full dates, a year (a date reduced for a sponsor) or a partial date (YYYY-MM) as stored
_INTEGER, _DATE, _YEAR = re.compile(r"-?\d+"), re.compile(r"\d{4}(-\d{2}(-\d{2})?)?"), re.compile(r"\d{4}")


def _text(value: str | None):
    return value or None


def _integer(value: str | None):
    return int(value) if value and _INTEGER.fullmatch(value) else None


def _decimal(value: str | None):
    try:
        return value if value and Decimal(value).is_finite() else None
    except InvalidOperation:
        return None


def _boolean(value: str | None):
    return {"true": True, "false": False}.get(value)


def _date(value: str | None):
    return value if value and _DATE.fullmatch(value) else None


def _datetime(value: str | None):
    return value if value and (_YEAR.fullmatch(value) or decode_datetime(value)) else None


_TYPED = {"integer": _integer, "decimal": _decimal, "boolean": _boolean, "date": _date, "datetime": _datetime}


def _choices(pairs) -> str:
    return "; ".join(f"{code}={label}" for code, label in pairs)


def key_columns(study: Study, form: Form) -> list[Column]:
    """The columns that say whose row it is and where it was collected (VISIT lists the events with ``form``)."""
    visits = _choices((e.oid, e.label) for e in study.events if study.event_has_form(e.oid, form.oid))
    return [
        Column("STUDYID", "IT.STUDYID", "Study identifier", "string", len(STUDY_OID), 1),
        Column("SITEID", "IT.SITEID", "Site code", "string", 20),
        Column("SUBJID", "IT.SUBJID", "Subject key (screening number)", "string", 40, 2),
        Column("SUBJNO", "IT.SUBJNO", "Subject number assigned at enrolment (empty before)", "string", 40),
        Column("VISIT", "IT.VISIT", "Study event OID", "string", 64, 3, choices=visits),
        Column("VISITREP", "IT.VISITREP", "Occurrence of the study event (1 unless it repeats)", "integer", key=4),
        Column("FORMREP", "IT.FORMREP", "Entry of the form at the event (1 unless it repeats)", "integer", key=5),
        Column("FORMSTAT", "IT.FORMSTAT", "Form status as stored", "string", 10, choices=FORM_STATUSES),
    ]


def _item_note(item: Item, role: str) -> str:
    notes = []
    if item.identifying:
        seen = ("shown in full in this export" if not masking.reduces(item, role)
                else "reduced to the year in this export" if masking.sees_clinical(role) and
                item.identifying == masking.YEAR else f"withheld in this export ({masking.WITHHELD})")
        notes.append(f"identifying ({item.identifying}): {seen}")
    if item.partial:
        notes.append("partial dates allowed (ISO 8601 YYYY-MM" + (" or YYYY)" if item.partial == "year" else ")"))
    if item.calculated:
        notes.append(f"calculated by {item.calculated}")
    if item.required:
        notes.append("required")
    return "; ".join(notes)


def item_columns(item: Item, group: ItemGroup, role: str) -> list[Column]:
    """The value column of ``item`` and, when it may be answered "not done"/"unknown", its two companions."""
    codelist = item.codelist
    if codelist is not None:
        data_type = "integer" if codelist.data_type == "integer" else "string"
        length = max(len(v) for v in codelist.values) if data_type == "string" else None
    else:
        data_type = JSON_TYPES[item.data_type]
        length = item.max_length if data_type == "string" else None
    if length and masking.reduces(item, role):
        length = max(length, len(masking.WITHHELD))
    columns = [Column(item.oid, item.oid, item.label, data_type, length, units=item.units or "",
                      codelist=codelist.oid if codelist else "",
                      choices=_choices((c.value, c.label) for c in codelist.items) if codelist else "",
                      sdtm=item.sdtm or "", domain=group.domain or "", note=_item_note(item, role))]
    if item.missing_allowed:
        codes = _choices((code, MISSING_CODES[code]) for code in item.missing_allowed)
        columns += [
            Column(item.oid + ND, item.oid + ND, f"{item.label}: not done or unknown", "string",
                   max(len(c) for c in item.missing_allowed), choices=codes, domain=group.domain or "",
                   note=f"instead of a value of {item.oid}"),
            Column(item.oid + NDREAS, item.oid + NDREAS, f"{item.label}: reason not done or unknown", "string",
                   500, domain=group.domain or "",
                   note="" if masking.sees_full(role) else f"withheld in this export ({masking.WITHHELD})"),
        ]
    return columns


def columns(study: Study, form: Form, role: str) -> list[Column]:
    """Every column of the dataset of ``form``, in order: the keys, then each item as the form shows them."""
    out = key_columns(study, form)
    for group in form.groups:
        for item in group.items:
            out += item_columns(item, group, role)
    return out


DICTIONARY_HEADER = ("DATASET", "COLUMN", "OID", "LABEL", "DATATYPE", "LENGTH", "KEY", "UNITS", "CODELIST",
                     "CHOICES", "SDTM", "DOMAIN", "NOTE")


def dictionary_row(dataset: str, column: Column) -> tuple:
    return (dataset, column.name, column.oid, column.label, column.data_type, column.length, column.key,
            column.units, column.codelist, column.choices, column.sdtm, column.domain, column.note)
