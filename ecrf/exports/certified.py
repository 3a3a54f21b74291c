"""The certified-copy check: does an exported casebook PDF still match the system's data today, and what changed?

The casebook carries, as an embedded file under its seal, the canonical content it was made from
(ecrf.casebook.record.content). The check reads the seal, takes that content from the file as it was sealed,
rebuilds the same subject's content today for the same role (so the same masking applies) and compares them
location by location: values changed, added or removed, signatures whose standing changed or that were added.
Read only: the caller audits the check (:func:`audited`) and commits.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.trail import record as audit_record
from ecrf.auth.models import ROLES
from ecrf.casebook import record
from ecrf.exports import seal
from ecrf.exports.seal import SealStatus, Unreadable
from ecrf.study import masking
from ecrf.study.codec import display
from ecrf.study.definition import Study
from ecrf.study.definition import load as load_study
from ecrf.study.types import MISSING_CODES
from ecrf.subjects.models import Subject

NOTHING = "(nothing)"


@dataclass(frozen=True)
class Difference:
    """One thing that differs between the copy and the data today, as a person reads it."""

    location: str  # "SE.SCREENING[1]/F.VS[1]/I.VS.HR", "signature 12", "site"
    label: str  # "Screening / Vital signs / Heart rate"
    before: str  # in the copy
    after: str  # today

    def __str__(self) -> str:
        return f"{self.label} ({self.location}): {self.before} -> {self.after}"


@dataclass(frozen=True)
class Report:
    seal: SealStatus
    subject: str
    site: str  # the site code the copy names
    role: str  # whose view the copy was made for (and rebuilt for)
    matches: bool  # the copy's content is the content today
    differences: tuple[Difference, ...]
    exported_hash: str  # SHA-256 of the copy's canonical content
    today_hash: str | None  # None: the subject is not in this database

    @property
    def ok(self) -> bool:
        """A certified copy: sealed by this system, unaltered, and still the data of today."""
        return self.seal.ok and self.matches


def exported_content(pdf_bytes: bytes) -> dict:
    """The content a casebook PDF carries (from its sealed revision when sealed). Raises :class:`Unreadable`."""
    source = seal.sealed_revision(pdf_bytes) or pdf_bytes
    raw = seal.attachment(source, seal.CONTENT_NAME)
    if raw is None:
        raise Unreadable(f"the file carries no casebook content ({seal.CONTENT_NAME}): not a casebook export")
    try:
        content = json.loads(raw)
    except ValueError as exc:
        raise Unreadable(f"the embedded casebook content is not JSON: {exc}") from None
    if not isinstance(content, dict) or content.get("version") != record.CONTENT_VERSION:
        version = content.get("version") if isinstance(content, dict) else None
        raise Unreadable(f"the embedded content has layout version {version!r}; this system reads version "
                         f"{record.CONTENT_VERSION}")
    if not isinstance(content.get("subject"), str) or content.get("role") not in ROLES:
        raise Unreadable("the embedded content names no subject or no known role")
    return content


def check(session: Session, pdf_bytes: bytes, identity: seal.Identity | None) -> Report:
    """The seal of ``pdf_bytes`` (against ``identity``) and its content compared with today's data.
    Raises :class:`Unreadable` for what is not a PDF or carries no casebook content."""
    status = seal.validate(pdf_bytes, identity)
    exported = exported_content(pdf_bytes)
    key, role, site = exported["subject"], exported["role"], str(exported.get("site"))
    exported_hash = record.content_hash(exported)
    subject = session.scalar(select(Subject).where(Subject.key == key))
    if subject is None:
        gone = Difference("subject", "Subject", key, "not in this database")
        return Report(status, key, site, role, False, (gone,), exported_hash, None)
    study = load_study()
    today = record.content(record.build(session, subject, role, study))
    today_hash = record.content_hash(today)
    differences = differences_between(exported, today, study, subject.site.zone)
    if today_hash != exported_hash and not differences:  # a part of the layout no rule below names
        differences = [Difference("content", "Casebook content", exported_hash, today_hash)]
    return Report(status, key, site, role, today_hash == exported_hash, tuple(differences), exported_hash, today_hash)


def differences_between(before: dict, after: dict, study: Study, tz) -> list[Difference]:
    """What differs between two contents (record.content), values in the definition's order of locations."""
    out = [Difference(field, field.capitalize(), str(before.get(field)), str(after.get(field)))
           for field in ("study", "site") if before.get(field) != after.get(field)]
    old, new = before.get("values", {}), after.get("values", {})
    for location in sorted(old.keys() | new.keys()):
        if old.get(location) != new.get(location):
            label, item = _where(location, study)
            out.append(Difference(location, label, _value(old.get(location), item, before["role"], tz),
                                  _value(new.get(location), item, after["role"], tz)))
    old, new = before.get("signatures", {}), after.get("signatures", {})
    for sid in sorted(old.keys() | new.keys(), key=lambda s: (len(s), s)):
        if old.get(sid) != new.get(sid):
            label = f"Signature {_signature(old.get(sid) or new[sid])}"
            out.append(Difference(f"signature {sid}", label, _standing(old.get(sid)), _standing(new.get(sid))))
    return out


def _where(location: str, study: Study):
    """'Screening / Vital signs / Heart rate' and the item's definition (None if the definition lost it)."""
    try:
        event_part, form_part, item_oid = location.split("/")
    except ValueError:
        return location, None
    event_oid, event_repeat = _repeat(event_part)
    form_oid, form_repeat = _repeat(form_part)
    event, form, item = study.event(event_oid), study.form(form_oid), study.items.get(item_oid)
    words = [event.label if event else event_oid, form.label if form else form_oid]
    words[0] += f" #{event_repeat}" if event_repeat != "1" else ""
    words[1] += f" #{form_repeat}" if form_repeat != "1" else ""
    return " / ".join([*words, item.label if item else item_oid]), item


def _repeat(part: str) -> tuple[str, str]:
    oid, _, rest = part.partition("[")
    return oid, rest.rstrip("]") or "1"


def _value(entry: dict | None, item, role: str, tz) -> str:
    if entry is None:
        return NOTHING
    value, missing = entry.get("value"), entry.get("missing")
    shown = value if value is None or item is None or masking.reduces(item, role) else display(item, value, tz)
    if missing:
        flag = MISSING_CODES.get(missing, missing)
        return f"{flag} ({shown})" if shown else flag
    return repr(shown) if shown == "" else str(shown)


def _signature(entry: dict) -> str:
    return f"'{entry.get('meaning')}' of {entry.get('signed_at')}"


def _standing(entry: dict | None) -> str:
    if entry is None:
        return NOTHING
    return "holds" if entry.get("holds") else "no longer holds"


def shows_values(report: Report, reader_role: str | None) -> bool:
    """Whether the changed values may be shown to ``reader_role``: a copy made for a fuller view than the reader's
    would otherwise hand them values their role does not see."""
    return report.role == reader_role or masking.sees_full(reader_role)


def audited(session: Session, sha256: str, report: Report | None, problem: str | None = None) -> None:
    """The check as an audit event: who verified which file (its SHA-256), and what it found."""
    if report is None:
        audit_record(session, "casebook_verified", "casebook", new={"file_sha256": sha256, "readable": False,
                                                                     "problem": problem})
        return
    audit_record(session, "casebook_verified", "casebook", subject_key=report.subject,
                 site_code=report.site, new={
        "file_sha256": sha256, "readable": True, "signed": report.seal.signed, "intact": report.seal.intact,
        "trusted": report.seal.trusted, "signer_sha256": report.seal.fingerprint, "matches": report.matches,
        "differences": len(report.differences), "exported_hash": report.exported_hash,
        "today_hash": report.today_hash})
