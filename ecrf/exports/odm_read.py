"""Reading an ODM file back: the values it holds, for round-trip checks and for whoever receives the file.

``read_values(source)`` -> ``{(subject, event, event repeat, form, form repeat, item): value}``. A snapshot's
ItemData are its values; a transactional file is replayed in document order (Insert, Update and Upsert set a
value, Remove takes it away), which gives the values after the last change. An explicit "no value" answer
(IsNull with a CL.ECRF.MISSING flag) reads as the audit trail writes it: ``[NOT_DONE] reason``. The file is parsed
incrementally and each subject's elements are dropped once read."""
from __future__ import annotations

import io
from os import PathLike

from lxml import etree

from ecrf.exports.odm_xml import q
from ecrf.study.codec import encode_missing

Key = tuple[str, str, int, str, int, str]
_SUBJECT, _EVENT, _FORM, _ITEM = q("SubjectData"), q("StudyEventData"), q("FormData"), q("ItemData")
_FLAG_VALUE, _COMMENT = q("FlagValue"), q("Comment")


def read_values(source: bytes | str | PathLike) -> dict[Key, str]:
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    values: dict[Key, str] = {}
    subject = event = form = None
    for action, element in etree.iterparse(source, events=("start", "end"),
                                           tag=(_SUBJECT, _EVENT, _FORM, _ITEM)):
        tag = element.tag
        if action == "start":
            if tag == _SUBJECT:
                subject = element.get("SubjectKey")
            elif tag == _EVENT:
                event = (element.get("StudyEventOID"), int(element.get("StudyEventRepeatKey", "1")))
            elif tag == _FORM:
                form = (element.get("FormOID"), int(element.get("FormRepeatKey", "1")))
            continue
        if tag == _ITEM:
            key = (subject, *event, *form, element.get("ItemOID"))
            value = _value(element)
            if element.get("TransactionType") == "Remove" or value is None:
                values.pop(key, None)
            else:
                values[key] = value
        elif tag == _SUBJECT:
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return values


def _value(element) -> str | None:
    if element.get("IsNull") != "Yes":
        return element.get("Value")
    code = element.findtext(f".//{_FLAG_VALUE}")
    return encode_missing(code, element.findtext(f".//{_COMMENT}")) if code else None
