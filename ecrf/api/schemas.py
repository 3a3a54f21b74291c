"""OpenAPI components: JSON Schemas (2020-12) of the bodies, the shared parameters and error responses."""
from __future__ import annotations

from ecrf.api.errors import MESSAGES
from ecrf.consent.models import POPULATIONS, WITHDRAWAL_SCOPES
from ecrf.enrolment.models import DECISIONS
from ecrf.study.reasons import REASONS
from ecrf.study.types import DataType


def _obj(required: tuple[str, ...] = (), /, **properties) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
NULL_STR = {"type": ["string", "null"]}
NULL_NUM = {"type": ["number", "null"]}
NULL_INT = {"type": ["integer", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
VALUE = {"type": ["string", "null"], "description": "The value as stored: canonical text (ISO 8601 dates, UTC times)."}

SCHEMAS: dict[str, dict] = {
    "Error": _obj(("error", "status"), error=STR, status=INT),
    "ValidationError": _obj(("error", "status", "errors"), error=STR, status=INT, errors={
        "type": "object", "additionalProperties": STR,
        "description": "A message per item OID (or 'reason' for a missing or unacceptable reason for change)."}),
    "ConflictError": _obj(("error", "status"), error=STR, status=INT, current_version=INT),
    "BadRequest": _obj(("error", "status"), error=STR, status=INT, unknown_items=_array(STR),
                       unknown_fields=_array(STR)),
    "CodeListItem": _obj(("value", "label"), value=STR, label=STR),
    "Item": _obj(
        ("oid", "label", "data_type", "required", "calculated"), oid=STR, label=STR,
        data_type={"enum": [t.value for t in DataType]}, units=NULL_STR, min=NULL_NUM, max=NULL_NUM,
        required=BOOL, calculated=BOOL, calculator=NULL_STR, max_length=INT, decimals=NULL_INT,
        allow_future=BOOL, help=STR, codelist={"oneOf": [{"type": "null"}, _obj(
            ("oid", "name", "items"), oid=STR, name=STR, items=_array(_ref("CodeListItem")))]}),
    "ItemGroup": _obj(("oid", "label", "items"), oid=STR, label=STR, domain=NULL_STR, items=_array(_ref("Item"))),
    "FormDef": _obj(("oid", "label", "repeating", "item_groups"), oid=STR, label=STR, repeating=BOOL, help=STR,
                    item_groups=_array(_ref("ItemGroup"))),
    "EventDef": _obj(("oid", "label", "repeating", "forms"), oid=STR, label=STR, type=STR, repeating=BOOL,
                     day=NULL_INT, window_before=INT, window_after=INT, anchor=STR,
                     forms=_array(_obj(("form_oid", "required"), form_oid=STR, required=BOOL))),
    "Study": _obj(("oid", "name", "events", "forms"), oid=STR, name=STR, protocol=STR, metadata_version=STR,
                  events=_array(_ref("EventDef")), forms=_array(_ref("FormDef"))),
    "SubjectEvent": _obj(("event_oid", "repeat", "state"), event_oid=STR, repeat=INT,
                         state={"type": "string", "enum": ["done", "done_out_of_window", "not_done", "due",
                                                           "overdue", "upcoming"]},
                         planned_date=DATE, window_start=DATE, window_end=DATE, actual_date=DATE,
                         not_done_reason=NULL_STR),
    "Subject": _obj(("key", "subject_no", "site", "status", "events"), key=STR, subject_no=NULL_STR, site=STR,
                    status=STR, events=_array(_ref("SubjectEvent"))),
    "SubjectList": _obj(("subjects",), subjects=_array(_ref("Subject"))),
    "FormData": _obj(("status", "version", "items"), status={"enum": ["not_started", "incomplete", "complete"]},
                     version=INT, locked=BOOL, items={"type": "object", "additionalProperties": VALUE}),
    "Reason": {"oneOf": [
        {"type": "string", "description": f"A code ({', '.join(REASONS.values)}), or an explanation (code OTHER)."},
        _obj(("code",), code={"enum": list(REASONS.values)}, note=STR)]},
    "FormWrite": {**_obj(("version", "items"), version={
        "type": "integer", "description": "The version you read (0 for a form never saved)."},
        items={"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
               "description": "Every item of the form; an item left out is cleared, as on the web form."},
        reason=_ref("Reason")), "additionalProperties": False},
    "AuditRecord": _obj(
        ("seq", "ts", "username", "action", "entity", "hash"), seq=INT, ts={"type": "string", "format": "date-time"},
        username=STR, role=NULL_STR, action=STR, entity=STR, entity_key=NULL_STR, site_code=NULL_STR,
        subject_key=NULL_STR, event_oid=NULL_STR, form_oid=NULL_STR, item_oid=NULL_STR, old_value=NULL_STR,
        new_value=NULL_STR, reason=NULL_STR, hash=STR),
    "AuditPage": _obj(("records", "next_before"), records=_array(_ref("AuditRecord")), next_before={
        "type": ["integer", "null"], "description": "Pass as ?before= for the next (older) page; null at the end."}),
    "OpenAPI": {"type": "object", "description": "This document."},
    # the trial's path (ecrf.api.trial)
    "Criterion": _obj(("code", "label", "status", "value", "missing"), code=STR, label=STR,
                      status={"enum": ["met", "not_met", "missing"]}, value=STR,
                      missing=_array({"type": "string", "description": "An item OID lacking for this criterion."})),
    "EligibilityReview": _obj(("eligible", "overridden", "override_reason", "reviewed_at", "reviewed_by"),
                              eligible=BOOL, overridden=_array(STR), override_reason=NULL_STR,
                              reviewed_at={"type": "string", "format": "date-time"}, reviewed_by=NULL_STR),
    "Eligibility": _obj(("criteria", "all_met", "failed", "missing", "review"), criteria=_array(_ref("Criterion")),
                        all_met=BOOL, failed=_array(STR), missing=_array(STR),
                        review={"oneOf": [{"type": "null"}, _ref("EligibilityReview")]}),
    "EligibilityConfirm": {**_obj(("password",), password={"type": "string", "description": "Your password: the "
                                                                 "electronic signature."},
                                  overrides=_array({"type": "string", "description": "A failed or missing criterion."}),
                                  reason={"type": ["string", "null"],
                                          "description": "Required when overriding a criterion."}),
                           "additionalProperties": False},
    "Empty": {"type": "object", "additionalProperties": False},
    "Enrolment": _obj(("subject_no", "dose_level", "cohort_seq", "enrolled_on", "status"), subject_no=STR,
                      dose_level=INT, cohort_seq=INT, enrolled_on={"type": "string", "format": "date"}, status=STR),
    "ScreenFailureWrite": {**_obj(("reason",), reason={"type": "string", "maxLength": 500}),
                           "additionalProperties": False},
    "ScreenFailure": _obj(("key", "status", "screen_fail_reason"), key=STR, status=STR, screen_fail_reason=STR),
    "WithdrawalWrite": {**_obj(("scope", "withdrawn_on"), scope={"enum": list(WITHDRAWAL_SCOPES)},
                               withdrawn_on={"type": "string", "format": "date"},
                               note={"type": ["string", "null"], "maxLength": 1000}), "additionalProperties": False},
    "Withdrawal": _obj(("scope", "withdrawn_on", "note", "subject_status"), scope=STR,
                       withdrawn_on={"type": "string", "format": "date"}, note=NULL_STR, subject_status=STR),
    "NotDoneWrite": {**_obj(("reason",), reason={"type": "string", "maxLength": 500},
                            repeat={"type": "integer", "minimum": 1, "default": 1}), "additionalProperties": False},
    "DoseDecision": _obj(("decided_on", "decision", "from_level", "to_level", "rationale"),
                         decided_on={"type": "string", "format": "date"}, decision=STR, from_level=INT,
                         to_level={"type": ["integer", "null"], "description": "null after stop"}, rationale=STR,
                         recorded_by=NULL_STR, recorded_at={"type": "string", "format": "date-time"}),
    "DoseLevels": _obj(("current_level", "decisions"), current_level={
        "type": ["integer", "null"], "description": "The level of the next enrolment; null once stopped."},
        decisions=_array(_ref("DoseDecision"))),
    "DoseDecisionWrite": {**_obj(("decision", "decided_on", "rationale"),
                                 decision={"enum": list(DECISIONS)},
                                 decided_on={"type": "string", "format": "date"},
                                 rationale={"type": "string", "maxLength": 4000}), "additionalProperties": False},
    "IcfVersion": _obj(("version", "population", "approved_on"), version=STR, population=STR,
                       approved_on={"type": "string", "format": "date"},
                       registered_at={"type": "string", "format": "date-time"}),
    "IcfVersionList": _obj(("versions",), versions=_array(_ref("IcfVersion"))),
    "IcfVersionWrite": {**_obj(("version", "population", "approved_on"), version={"type": "string", "maxLength": 40},
                               population={"enum": list(POPULATIONS)},
                               approved_on={"type": "string", "format": "date"}), "additionalProperties": False},
}

_SEGMENT = {"type": "string", "minLength": 1}
PARAMETERS: dict[str, dict] = {
    "subject": {"name": "subject", "in": "path", "required": True, "schema": _SEGMENT,
                "description": "The subject's key (screening number), e.g. 01-S001."},
    "event_oid": {"name": "event_oid", "in": "path", "required": True, "schema": _SEGMENT},
    "form_oid": {"name": "form_oid", "in": "path", "required": True, "schema": _SEGMENT},
    "event_repeat": {"name": "event_repeat", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "repeat": {"name": "repeat", "in": "query", "description": "The form's repeat number.",
               "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "before": {"name": "before", "in": "query", "description": "Only records older than this sequence number.",
               "schema": {"type": "integer", "minimum": 1}},
    "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                                          "default": 50}},
}

_ERROR_SCHEMA = {400: "BadRequest", 409: "ConflictError", 422: "ValidationError"}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": STR}},
    429: {"Retry-After": {"schema": INT, "description": "Seconds to wait."}},
}


def responses() -> dict[str, dict]:
    """One reusable response per error status, named E<status>."""
    out = {}
    for status, message in {**MESSAGES, 500: "Unexpected error (logged)."}.items():
        response = {"description": message, "content": {"application/json": {
            "schema": _ref(_ERROR_SCHEMA.get(status, "Error"))}}}
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        out[f"E{status}"] = response
    return out


SECURITY_SCHEMES = {"bearer": {
    "type": "http", "scheme": "bearer",
    "description": "An API token (ecrf_...) from 'API tokens' in the web app or `ecrf create-token`; "
                   "it acts with its user's role and sites.",
}}
