"""What the eligibility page tells the investigator: the data still missing, by form and label, and whether
the Eligibility form's own answer ("Participant is eligible", I.ELIG.ELIGIBLE) agrees with the engine.

Pure (no Flask, no database): everything here reads an :class:`~ecrf.enrolment.eligibility.Eligibility`, the
stored F.ELIG answer and the study definition. The form's answer and the engine's verdict are two records of
one judgement, so they are checked against each other rather than merged: the investigator's signed
confirmation must agree with the form (``signing_conflict``), and the page flags every disagreement with the
engine (``form_conflict``) in both directions.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ecrf.enrolment.eligibility import Eligibility
from ecrf.study.definition import Study

#: the Eligibility form's own conclusion: "true" (eligible), "false" (not eligible) or unanswered
FORM_ANSWER = "I.ELIG.ELIGIBLE"
#: where the engine's inputs live, searched in this order for the visit of a form (F.IC, F.DM are per subject)
EVENTS = ("SE.SCREENING", "SE.SUBJECT")


@dataclass
class MissingForm:
    """One form holding data the engine lacks: its visit (for the link), label, the missing items' labels
    and the criteria waiting for them."""

    event_oid: str
    form_oid: str
    label: str
    items: list[tuple[str, str]] = field(default_factory=list)  # (item OID, item label)
    criteria: list[str] = field(default_factory=list)


def missing_oids(result: Eligibility, form_answer: str | None) -> list[str]:
    """The item OIDs missing for a verdict, in criterion order, each once; the form's own answer when unanswered
    (the eligibility it records is part of the data a confirmation rests on)."""
    oids = [oid for c in result.criteria for oid in c.missing]
    if form_answer not in ("true", "false"):
        oids.append(FORM_ANSWER)
    return list(dict.fromkeys(oids))


def missing_by_form(result: Eligibility, form_answer: str | None, study: Study) -> list[MissingForm]:
    """The missing data grouped by form, forms in the order first needed, items labelled as on the CRF."""
    criteria_of: dict[str, list[str]] = {}
    for c in result.criteria:
        for oid in c.missing:
            criteria_of.setdefault(oid, []).append(c.code)
    forms: dict[str, MissingForm] = {}
    for oid in missing_oids(result, form_answer):
        form_oid = study.form_of(oid)
        form = study.form(form_oid) if form_oid else None
        event_oid = next((e for e in EVENTS if form and study.event_has_form(e, form.oid)), None)
        if form is None or event_oid is None:  # an OID no longer in the definition: still shown, unlinked
            entry = forms.setdefault("", MissingForm("", "", "Other data"))
        else:
            entry = forms.setdefault(form.oid, MissingForm(event_oid, form.oid, form.label))
        item = study.items.get(oid)
        entry.items.append((oid, item.label if item else oid))
        entry.criteria.extend(c for c in criteria_of.get(oid, ()) if c not in entry.criteria)
    return list(forms.values())


def missing_labels(groups: Iterable[MissingForm]) -> str:
    """The acknowledgement's list in words: "Vital signs: SpO2, Oxygen; Eligibility: Participant is eligible"."""
    return "; ".join(f"{g.label}: {', '.join(label for _, label in g.items)}" for g in groups)


@dataclass(frozen=True)
class Conflict:
    """The form's answer and the engine disagree: ``form_says`` eligible or not, with the criteria behind it."""

    form_says: bool
    failed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def text(self) -> str:
        if self.form_says:
            why = []
            if self.failed:
                why.append(f"{', '.join(self.failed)} not met")
            if self.missing:
                why.append(f"{', '.join(self.missing)} missing data")
            return ("The Eligibility form says the participant is eligible, but the criteria do not all hold ("
                    + "; ".join(why) + ").")
        return ("The Eligibility form says the participant is not eligible, but every criterion is met: "
                "record on the form which criterion is not met, or correct its answer.")


def form_conflict(result: Eligibility, form_answer: str | None) -> Conflict | None:
    """The disagreement between the form's answer and the engine's verdict, or None (also when unanswered)."""
    if form_answer == "true" and not result.all_met:
        return Conflict(True, tuple(result.failed), tuple(result.missing))
    if form_answer == "false" and result.all_met:
        return Conflict(False)
    return None


def signing_conflict(eligible: bool, form_answer: str | None) -> str | None:
    """Why a confirmation recording ``eligible`` cannot be signed over the form's answer, or None: a signed
    verdict never contradicts the Eligibility form (an override with its reason may still depart from the
    engine, and the snapshot keeps the engine's view)."""
    if form_answer == "false" and eligible:
        return ("The Eligibility form says the participant is not eligible: correct the form before confirming "
                "eligibility, or record the subject as not eligible.")
    if form_answer == "true" and not eligible:
        return ("The Eligibility form says the participant is eligible, but this confirmation records not "
                "eligible: override the criteria you judged met (with a reason) or correct the form first.")
    return None
