"""Synthetic demo data: one site, one user per role, subjects at different stages. No real person."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ecrf.audit.context import Actor, set_actor
from ecrf.auth.models import ROLES, Site, User
from ecrf.auth.services import create_site, create_user
from ecrf.capture import services as capture
from ecrf.extensions import db
from ecrf.subjects.services import create_subject

SITE = ("01", "Demo University Hospital", "Asia/Shanghai")
NAMES = {
    "admin": "Alex Admin", "investigator": "Dr Ivy Investigator", "coordinator": "Casey Coordinator",
    "monitor": "Morgan Monitor", "data_manager": "Dana Manager", "sponsor": "Sam Sponsor",
}


def _save(subject, event_oid: str, form_oid: str, values: dict, form_repeat: int = 1) -> None:
    from ecrf.capture.routes import entry_context

    target = capture.resolve(subject, event_oid, form_oid, 1, form_repeat)
    existing = capture.find_form(db.session, target)
    capture.save_form(db.session, target, values, version=existing.version if existing else 0, user_id=None,
                      ctx=entry_context(subject))


def _days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def _consent(subject, days_ago: int, child: bool = False) -> None:
    common = {"I.IC.REASON": "FIRST", "I.IC.VERSION": "2.0", "I.IC.VERDAT": "2025-12-01", "I.IC.COPY": "true",
              "I.IC.DTC": _days_ago(days_ago)}
    if child:
        _save(subject, "SE.SUBJECT", "F.IC", {**common, "I.IC.TYPE": "GUARDIAN", "I.IC.SIGNER": "LAR"}, 1)
        _save(subject, "SE.SUBJECT", "F.IC", {**common, "I.IC.TYPE": "ASSENT", "I.IC.SIGNER": "PARTICIPANT"}, 2)
    else:
        _save(subject, "SE.SUBJECT", "F.IC", {**common, "I.IC.TYPE": "ADULT", "I.IC.SIGNER": "PARTICIPANT"}, 1)


def _vitals(subject, event_oid: str, days_ago: int, **override) -> None:
    values = {"I.VS.DTC": f"{_days_ago(days_ago)}T09:30", "I.VS.TEMP": "36.7", "I.VS.SYSBP": "116",
              "I.VS.DIABP": "74", "I.VS.HR": "78", "I.VS.RESP": "16", "I.VS.SPO2": "98", "I.VS.WEIGHT": "52.5"}
    _save(subject, event_oid, "F.VS", {**values, **override})


def seed(password: str) -> list[str]:
    """Create the demo site, users and subjects (idempotent for the site and users); returns usernames."""
    set_actor(db.session, Actor(None, "seed-demo", "system"))
    site = db.session.scalar(select(Site).where(Site.code == SITE[0])) or create_site(db.session, *SITE)
    for role in ROLES:
        if not db.session.scalar(select(User.id).where(User.username == role)):
            create_user(db.session, role, NAMES[role], role, [] if role == "admin" else [site.code], password)
    db.session.commit()
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    set_actor(db.session, Actor.of(coordinator))
    if not _has_subjects(site):
        _subjects(site)
    db.session.commit()
    return list(ROLES)


def _has_subjects(site) -> bool:
    from ecrf.subjects.models import Subject

    return db.session.scalar(select(Subject.id).where(Subject.site_id == site.id)) is not None


def _register_icf() -> None:
    from ecrf.consent.models import IcfVersion

    for population in ("ADULT", "GUARDIAN", "ASSENT"):
        db.session.add(IcfVersion(version="2.0", population=population, approved_on=date(2025, 12, 1)))
    db.session.flush()


def _subjects(site) -> None:
    _register_icf()
    # an adult woman in screening: consent, demographics and vital signs entered
    adult = create_subject(db.session, site)
    _consent(adult, 6)
    _save(adult, "SE.SUBJECT", "F.DM", {"I.DM.BRTHDAT": "1994-03-12", "I.DM.SEX": "F",
                                        "I.DM.ETHNIC": "NOT HISPANIC OR LATINO", "I.DM.MENARCHE": "true"})
    _vitals(adult, "SE.SCREENING", 5)
    _save(adult, "SE.SCREENING", "F.HTWT", {"I.HTWT.DAT": _days_ago(5), "I.HTWT.HEIGHT": "162", "I.HTWT.WEIGHT": "52.5"})
    # a 10-year-old boy: guardian permission and child assent, screening started
    child = create_subject(db.session, site)
    _consent(child, 3, child=True)
    _save(child, "SE.SUBJECT", "F.DM", {"I.DM.BRTHDAT": (date.today() - timedelta(days=365 * 10 + 40)).isoformat(),
                                        "I.DM.SEX": "M", "I.DM.ETHNIC": "NOT REPORTED"})
    _vitals(child, "SE.SCREENING", 2, **{"I.VS.SYSBP": "104", "I.VS.DIABP": "66", "I.VS.HR": "92",
                                         "I.VS.WEIGHT": "31.0"})
    # a subject just registered, nothing entered yet
    create_subject(db.session, site)
