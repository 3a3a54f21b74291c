"""The request bodies of /api/v1, one pydantic model each: the parser of the body and its OpenAPI schema.

Shape and types only; the trial's rules (an empty reason, a cohort that is full) are the services' to refuse.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ecrf.api.fields import Choice, Codes, Day, ItemValues, OptionalText, Repeat, Text, Version, refuse
from ecrf.consent.models import POPULATIONS, WITHDRAWAL_SCOPES
from ecrf.enrolment.models import DECISIONS
from ecrf.study.reasons import REASONS

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


class FormWrite(Body):
    version: Version = Field(description="The version you read (0 for a form never saved).")
    items: ItemValues = Field(description="Every item of the form; an item left out is cleared, as on the web form.")
    reason: Reason = None

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
    overrides: Codes = Field(default_factory=list, description="Failed or missing criteria you override.")
    reason: OverrideReason = None


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
