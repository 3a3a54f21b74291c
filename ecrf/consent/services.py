"""Registering ICF versions and recording withdrawals of consent. Services flush; callers commit."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.consent.models import POPULATIONS, WITHDRAWAL_SCOPES, ConsentWithdrawal, IcfVersion
from ecrf.errors import Refused
from ecrf.subjects import lifecycle
from ecrf.subjects.models import Subject


def register_version(session: Session, version: str, population: str, approved_on: date) -> IcfVersion:
    """A newly approved ICF version; subjects who signed an older one are flagged by the overview."""
    version = version.strip()
    if not version or len(version) > 40:
        raise Refused("Give the ICF version (1-40 characters).")
    if population not in POPULATIONS:
        raise Refused(f"The population is one of {', '.join(POPULATIONS)}.")
    if session.scalar(select(IcfVersion.id).filter_by(version=version, population=population)):
        raise Refused(f"ICF version {version} ({population.lower()}) is already registered.")
    row = IcfVersion(version=version, population=population, approved_on=approved_on)
    session.add(row)
    session.flush()
    return row


def withdraw(session: Session, subject: Subject, scope: str, withdrawn_on: date, note: str | None) -> ConsentWithdrawal:
    """Record a withdrawal: ALL ends data collection; TREATMENT stops trial treatment, follow-up continues."""
    if scope not in WITHDRAWAL_SCOPES:
        raise Refused(f"The scope is one of {', '.join(WITHDRAWAL_SCOPES)}.")
    if note and len(note) > 1000:
        raise Refused("The note is too long (at most 1000 characters).")
    row = ConsentWithdrawal(subject=subject, scope=scope, withdrawn_on=withdrawn_on, note=(note or "").strip() or None)
    session.add(row)
    if scope == "ALL":
        lifecycle.move(subject, "withdrawn")
    session.flush()
    return row
