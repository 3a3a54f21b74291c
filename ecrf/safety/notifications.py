"""Safety notifications: an e-mail to the configured recipients for each safety event, queued with the save.

The events (brief "Safety reporting"; issue 12): a new serious adverse event, a positive pregnancy test, CRS or
ICANS of ASTCT grade 3 or more (I.CRS.GRADE, I.ICANS.GRADE, computed on F.CRS and F.ICANS), and a dose-limiting
toxicity. The writer :func:`writes_safety_notifications` (installed in ``ecrf.rules.TRIAL_RULES``) runs after each
save in its transaction: the mail goes to the outbox (ecrf.mail) with the data, so it exists exactly when the
data does and is delivered by the worker however long the mail server is down.

A grade that reaches 3 when it is recalculated (ecrf.capture.derived: an earlier assessment corrected) is mailed
too, by the observer :func:`notifies_recalculated_grades`.

Each event is mailed once: a :class:`~ecrf.safety.models.SafetyNotification` row per (kind, form) says it was.
Editing the same SAE mails nothing; an AE changed from not serious to serious is a new SAE and is mailed; a form
changed back and forth is mailed the first time only.

A mail names the subject by its code (the subject number, else the screening number) and the site code, and gives
coded facts only: no free text (an AE term may hold anything), no dates (study days instead). The reader opens
the eCRF for the rest.

Recipients are a deployment setting (``ECRF_SAFETY_MAIL_TO``, comma-separated), given here at start-up by
:func:`configure`; with none, the notification is still recorded (with no recipient) and no mail is queued.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import services as capture
from ecrf.capture.facts import latest_values
from ecrf.mail.outbox import address_problem, enqueue
from ecrf.safety import clocks
from ecrf.safety.models import SafetyNotification
from ecrf.study import codec
from ecrf.study.definition import PROTOCOL_NAME
from ecrf.study.definition import load as load_study
from ecrf.study.schedule import study_day

#: the outbox kind of these mails
MAIL_KIND = "safety"
GRADE_THRESHOLD = 3

_recipients: tuple[str, ...] = ()


def parse_recipients(text: str | None) -> tuple[str, ...]:
    """The addresses of a comma-separated setting; ValueError naming a bad one (at start-up, not at the first SAE)."""
    addresses = tuple(dict.fromkeys(a.strip() for a in (text or "").split(",") if a.strip()))
    for address in addresses:
        if problem := address_problem(address):
            raise ValueError(f"SAFETY_MAIL_TO: {problem}")
    return addresses


def configure(config) -> tuple[str, ...]:
    """Take the recipients from the app's settings (``SAFETY_MAIL_TO``)."""
    global _recipients
    _recipients = parse_recipients(config.get("SAFETY_MAIL_TO"))
    return _recipients


def recipients() -> tuple[str, ...]:
    return _recipients


def _grade(values: dict, oid: str) -> int | None:
    value = values.get(oid)
    return int(value) if value and value.isdigit() else None


def events(form_oid: str, values: dict) -> list[str]:
    """The notification kinds a form's stored values are (pure; each is then sent once per form)."""
    kinds = []
    if form_oid == "F.AE":
        if values.get("I.AE.SER") == "Y":
            kinds.append("sae")
        if values.get("I.AE.DLT") == "true":
            kinds.append("dlt")
    elif form_oid == "F.PREG" and values.get("I.PREG.RES") == "POS":
        kinds.append("pregnancy")
    elif form_oid == "F.CRS" and (_grade(values, "I.CRS.GRADE") or 0) >= GRADE_THRESHOLD:
        kinds.append("crs_grade3")
    elif form_oid == "F.ICANS" and (_grade(values, "I.ICANS.GRADE") or 0) >= GRADE_THRESHOLD:
        kinds.append("icans_grade3")
    return kinds


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _label(oid: str, value: str | None) -> str:
    if value is None:
        return "not recorded"
    item = load_study().items[oid]
    return item.codelist.label(value) if item.codelist else value


def _study_day(values: dict, date_oid: str, infusion: str | None, tz) -> str:
    day, zero = codec.local_date(values.get(date_oid), tz), codec.local_date(infusion, tz)
    if day is None or zero is None:
        return "not known (no infusion recorded)" if day is not None else "not recorded"
    return f"day {study_day(day, zero)} after the CAR-T infusion"


def compose(kind: str, subject, event, form_oid: str, form_repeat: int, values: dict,
            infusion: str | None) -> Mail:
    """The mail of one event: the subject's code and coded facts, no free text and no dates (pure)."""
    code, site, tz = subject.label, subject.site.code, subject.site.zone
    where = f"/subjects/{subject.key}/events/{event.oid}/forms/{form_oid}" + (
        f"?repeat={form_repeat}" if form_repeat > 1 else "")
    lines = [f"Study: {PROTOCOL_NAME}", f"Subject: {code} (site {site})"]
    if form_oid == "F.AE":
        criteria = [load_study().items[oid].label for oid in ("I.AE.SDTH", "I.AE.SLIFE", "I.AE.SHOSP", "I.AE.SDISAB",
                                                              "I.AE.SCONG", "I.AE.SMIE") if values.get(oid) == "Y"]
        title = {"sae": "New serious adverse event", "dlt": "Dose-limiting toxicity"}[kind]
        lines += [f"Adverse event record #{form_repeat}",
                  f"CTCAE grade: {values.get('I.AE.TOXGR') or 'not recorded'}",
                  f"Onset: {_study_day(values, 'I.AE.STDAT', infusion, tz)}",
                  f"Serious: {_label('I.AE.SER', values.get('I.AE.SER'))}"
                  + (f" ({'; '.join(criteria)})" if criteria else ""),
                  f"Relationship to CAR-T cells: {_label('I.AE.RELCART', values.get('I.AE.RELCART'))}",
                  f"Relationship to lymphodepletion: {_label('I.AE.RELLD', values.get('I.AE.RELLD'))}",
                  f"Expectedness: {_label('I.AE.EXPECT', values.get('I.AE.EXPECT'))}",
                  f"Dose-limiting toxicity: {'yes' if values.get('I.AE.DLT') == 'true' else 'no'}"
                  + (f" (dose level {subject.dose_level})" if subject.dose_level else ""),
                  f"Special interest: {_label('I.AE.AESITYP', values.get('I.AE.AESITYP'))}"
                  if values.get("I.AE.AESI") == "true" else "Special interest: no"]
        if kind == "sae":
            hours = int(clocks.INITIAL_WITHIN.total_seconds() // 3600)
            lines.append(f"The initial report to the sponsor is due {hours} hours after the site's awareness: see the "
                         "SAE list for every due time.")
    elif kind == "pregnancy":
        title = "Positive pregnancy test"
        lines += [f"Visit: {event.label}", f"Test: {_label('I.PREG.SPEC', values.get('I.PREG.SPEC'))}",
                  "Report the pregnancy to the sponsor within 24 hours and follow it to its outcome."]
    else:
        name, oid = ("CRS", "I.CRS.GRADE") if kind == "crs_grade3" else ("ICANS", "I.ICANS.GRADE")
        title = f"{name} grade {values.get(oid)}"
        date_oid = "I.CRS.DTC" if name == "CRS" else "I.ICANS.DTC"
        lines += [f"Visit: {event.label}", f"{name} grade (ASTCT 2019): {values.get(oid)}",
                  f"Assessment: {_study_day(values, date_oid, infusion, tz)}"]
    lines += ["", f"Details are in the eCRF: {where}",
              "This message holds the subject's code only; do not forward it outside the trial's safety team."]
    return Mail(f"{PROTOCOL_NAME} safety: {title}, subject {code}", "\n".join(lines) + "\n")


def notify(session: Session, t, form, kind: str) -> SafetyNotification:
    """Record the notification of ``kind`` for ``form`` and queue its mail to every recipient (flushes)."""
    infusion = latest_values(session, t.subject.id, ["I.INF.STDTC"]).get("I.INF.STDTC")
    mail = compose(kind, t.subject, t.event, t.form.oid, t.form_repeat, form.values, infusion)
    row = SafetyNotification(kind=kind, form=form, recipients=",".join(_recipients))
    session.add(row)
    for address in _recipients:
        enqueue(session, MAIL_KIND, address, mail.subject, mail.body)
    session.flush()
    return row


def writes_safety_notifications(session: Session, t, form, origin) -> None:
    """After a save: notify each safety event of the form not notified before (one mail per recipient)."""
    kinds = events(t.form.oid, form.values)
    if not kinds:
        return
    done = set(session.scalars(select(SafetyNotification.kind).where(SafetyNotification.form_id == form.id)))
    for kind in kinds:
        if kind not in done:
            notify(session, t, form, kind)


GRADE_ITEMS = {"F.CRS": "I.CRS.GRADE", "F.ICANS": "I.ICANS.GRADE"}


def notifies_recalculated_grades(session: Session, form, changed: dict, user_id: int | None) -> None:
    """After any write of a CRS or ICANS grade, a save or a recalculation (an earlier assessment corrected, so that
    fever is now known earlier in the episode): a grade that reached 3 is notified as a save of the form would."""
    if GRADE_ITEMS.get(form.form_oid) not in changed:
        return
    event = form.event
    target = capture.resolve(event.subject, event.event_oid, form.form_oid, event.repeat_key, form.repeat_key)
    writes_safety_notifications(session, target, form, "recalculation")
