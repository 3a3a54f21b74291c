"""The request bodies of /api/v1, one pydantic model each: the parser of the body and its OpenAPI schema.

Shape and types only; the trial's rules (an empty reason, a cohort that is full) are the services' to refuse.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from ecrf.api.fields import Choice, Codes, Day, ItemValues, OptionalText, Repeat, Text, Version, refuse
from ecrf.consent.models import POPULATIONS, WITHDRAWAL_SCOPES
from ecrf.enrolment.models import DECISIONS
from ecrf.queries.models import TEXT_MAX as QUERY_TEXT_MAX
from ecrf.sdv.plan import MAX_FULL_FIRST, THEN
from ecrf.study.reasons import REASONS
from ecrf.study.types import MISSING_CODES

#: the longest texts the tables hold (longer ones are refused, not cut short)
REASON_MAX, NOTE_MAX, RATIONALE_MAX, SITE_MAX = 500, 1000, 4000, 20

Password = Text(description="Your password: the electronic signature.")
OverrideReason = OptionalText(description="Required when overriding a criterion.")
ShortReason = Text(REASON_MAX)
Note = OptionalText(NOTE_MAX)
Rationale = Text(RATIONALE_MAX)
IcfVersionName = Text(description="As approved, e.g. 2.0 (at most 40 characters: the register refuses longer).")
SiteCode = Text(SITE_MAX, description="The code of one of your sites, e.g. 01.")
Scope, Decision, Population = Choice(WITHDRAWAL_SCOPES), Choice(DECISIONS), Choice(POPULATIONS)
OptionalCode = OptionalText(40, description="The code of your authenticator app: required when you have a second "
                                            "factor.")
SignScope = Choice(("form", "visit", "casebook"))


class Body(BaseModel):
    """A JSON object with exactly the declared fields."""

    model_config = ConfigDict(extra="forbid")


class ReasonCode(Body):
    """A reason for change as a code from the list, with a note (required for OTHER)."""

    code: Annotated[str | None, Field(json_schema_extra={"enum": list(REASONS.values)})] = None
    note: str | None = None


def _reason(value: Any) -> Any:
    if value is None or isinstance(value, str):
        note = value
    elif isinstance(value, dict) and set(value) <= {"code", "note"} and all(
            v is None or isinstance(v, str) for v in value.values()):
        note = value.get("note")
    else:
        raise refuse('reason must be a string or an object {"code", "note"} with string values.')
    if note is not None and "\x00" in note:
        raise refuse("The explanation contains a control character.")
    return value


Reason = Annotated[str | ReasonCode | None, BeforeValidator(_reason), Field(
    description=f"A code ({', '.join(REASONS.values)}), an explanation (code OTHER), or an object {{code, note}}.")]


class MissingFlag(Body):
    """An item answered without a value: "not done" or "unknown", with the reason (where the item allows it)."""

    code: Annotated[str, Field(json_schema_extra={"enum": list(MISSING_CODES)})]
    reason: OptionalText(500) = None


class FormWrite(Body):
    version: Version = Field(description="The version you read (0 for a form never saved).")
    items: ItemValues = Field(description="Every item of the form; an item left out is cleared, as on the web form.")
    reason: Reason = None
    missing: dict[str, MissingFlag] = Field(
        default_factory=dict, description="Items answered without a value (item OID -> {code, reason}), where "
        "the study allows it; give the item no value (null or left out). An item not named here has no such flag.")

    def missing_parts(self) -> dict[str, dict]:
        """The flags as the capture service takes them."""
        return {oid: {"code": flag.code, "reason": flag.reason} for oid, flag in self.missing.items()}

    def reason_parts(self) -> tuple[str | None, str | None]:
        """(code, note) as the capture service takes them; a text that is no code is a note for OTHER."""
        if isinstance(self.reason, ReasonCode):
            return self.reason.code or None, self.reason.note
        text = (self.reason or "").strip()
        if not text:
            return None, None
        return (text, None) if text in REASONS.values else ("OTHER", text)


class FormValues(Body):
    items: ItemValues = Field(description="The values typed so far, as for a save; calculated items are ignored.")


class EligibilityConfirm(Body):
    password: Password
    code: OptionalCode = None
    overrides: Codes = Field(default_factory=list, description="Failed or missing criteria you override.")
    reason: OverrideReason = None
    despite_missing: StrictBool = Field(False, description="Required to confirm eligible while data are missing: "
                                      "you confirm eligibility although the data listed as missing are absent.")


class Empty(Body):
    """No fields: the request is the action."""


class ScreenFailureWrite(Body):
    reason: ShortReason


class WithdrawalWrite(Body):
    scope: Scope
    withdrawn_on: Day
    note: Note = None


class NotDoneWrite(Body):
    reason: ShortReason
    repeat: Repeat = 1


LockScope, LockLevel = Choice(("form", "event", "subject", "site", "study")), Choice(("frozen", "locked"))
LockReason = Text(NOTE_MAX, description="Why (required; kept with the record).")


class LockWrite(Body):
    """A freeze or lock: ``site`` names the site for scope site; ``subject`` the subject for subject, event and
    form; ``event_oid``/``event_repeat`` the visit for event and form; ``form_oid``/``repeat`` the form."""

    scope: LockScope
    level: LockLevel
    reason: LockReason
    site: OptionalText(SITE_MAX) = None
    subject: OptionalText(40) = None
    event_oid: OptionalText(64) = None
    event_repeat: Repeat = 1
    form_oid: OptionalText(64) = None
    repeat: Repeat = 1
    up_to_event_oid: OptionalText(64, description="Only the scheduled visits up to this one (subject, site, "
                                                  "study scopes).") = None


class LockUndo(Body):
    reason: LockReason


class DoseDecisionWrite(Body):
    decision: Decision
    decided_on: Day
    rationale: Rationale


class IcfVersionWrite(Body):
    version: IcfVersionName
    population: Population
    approved_on: Day


class SubjectCreate(Body):
    site: SiteCode


class SignatureWrite(Body):
    """An electronic signature: the API has no signing session, so the password is asked every time."""

    scope: SignScope
    event_oid: OptionalText(64, description="The visit (scope visit or form).") = None
    event_repeat: Repeat = 1
    form_oid: OptionalText(64, description="The form (scope form).") = None
    form_repeat: Repeat = 1
    meaning: Text(200, description="One of the configured meanings (SIGNATURE_MEANINGS).")
    password: Password
    username: OptionalText(80, description="Optional; when given it must be your own.") = None
    code: OptionalCode = None
    despite_missing: StrictBool = Field(False, description="Sign although required data is missing or incomplete "
                                                           "(otherwise 409 lists it).")


ItemOid = Annotated[str, Field(min_length=1, max_length=64)]


class SdvItems(Body):
    items: list[ItemOid] = Field(min_length=1, max_length=500,
                                 description="The OIDs of the items verified against source (each must hold a value).")


class SdvPlanWrite(Body):
    full_first_n: Annotated[StrictInt, Field(ge=0, le=MAX_FULL_FIRST, description=(
        "Every item of this many first subjects of the site is verified."))]
    then: Annotated[Choice(THEN), Field(description="What is verified for the later subjects.")]


class QueryText(Body):
    """The message of a query step (raise, answer, close, cancel, re-open): required, as on the web."""

    text: OptionalText(QUERY_TEXT_MAX, description="What you ask, answer or decide; it goes into the thread.") = None


class ExportAsk(Body):
    """A background export of your sites (or one of them)."""

    kind: Annotated[str, Field(min_length=1, max_length=40, description=(
        "casebooks, odm, odm_transactional, datasets or site_archive (your role decides which you may ask for)."))]
    site: OptionalText(SITE_MAX, description="One of your sites; default all of them (a site archive needs one).") \
        = None
