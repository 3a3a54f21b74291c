"""Small builders shared by tests."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

PASSWORD = "correct horse battery staple"
VS_URL = "/subjects/{key}/events/SE.SCREENING/forms/F.VS"


def vs_values(**override) -> dict:
    values = {
        "I.VS.DTC": "2026-11-20T09:15", "I.VS.TEMP": "36.8", "I.VS.SYSBP": "118", "I.VS.DIABP": "76",
        "I.VS.HR": "72", "I.VS.RESP": "16", "I.VS.SPO2": "98",
    }
    values.update(override)
    return values


def ctx():
    from ecrf.study.validation import Context

    return Context(tz=ZoneInfo("Asia/Shanghai"), now=datetime.now(timezone.utc))


CONSENT_DATE = "2026-11-01T08:00"


def register_icf(session, version: str = "2.0", approved: str = "2025-12-01") -> None:
    """Put the ICF versions in the register (once)."""
    from datetime import date

    from sqlalchemy import select

    from ecrf.consent.models import IcfVersion

    for population in ("ADULT", "GUARDIAN", "ASSENT"):
        if not session.scalar(select(IcfVersion).filter_by(version=version, population=population)):
            session.add(IcfVersion(version=version, population=population, approved_on=date.fromisoformat(approved)))
    session.flush()


def consent(session, subject, kind: str = "ADULT", when: str = CONSENT_DATE, repeat: int | None = None):
    """Record a signed consent (F.IC) for the subject."""
    from ecrf.capture import services
    from ecrf.capture.facts import form_entries

    register_icf(session)
    signer = "LAR" if kind == "GUARDIAN" else "PARTICIPANT"
    repeat = repeat or len(form_entries(session, subject.id, "F.IC")) + 1
    target = services.resolve(subject, "SE.SUBJECT", "F.IC", 1, repeat)
    services.save_form(session, target, {"I.IC.REASON": "FIRST", "I.IC.VERSION": "2.0", "I.IC.VERDAT": "2025-12-01",
                                         "I.IC.TYPE": kind, "I.IC.SIGNER": signer, "I.IC.DTC": when,
                                         "I.IC.COPY": "true"}, version=0, user_id=None, ctx=ctx())
    session.commit()


def new_subject(session, site_code: str = "01", consented: bool = True):
    """A subject at ``site_code`` (with an adult consent unless ``consented=False``), committed."""
    from sqlalchemy import select

    from ecrf.auth.models import Site
    from ecrf.subjects.services import create_subject

    subject = create_subject(session, session.scalar(select(Site).where(Site.code == site_code)))
    session.commit()
    if consented:
        consent(session, subject)
    return subject


def save(session, subject, form_oid: str, values: dict, event_oid: str = "SE.SCREENING", version=None, **kw):
    from ecrf.capture import services

    target = services.resolve(subject, event_oid, form_oid)
    if version is None:
        existing = services.find_form(session, target)
        version = existing.version if existing else 0
    form = services.save_form(session, target, values, version=version, user_id=None, ctx=ctx(), **kw)
    session.commit()
    return form


class Browser:
    """A test client that logs in and sends the CSRF token with every POST, as a browser does."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def _token_from(self, html: str) -> str | None:
        m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html)
        return m.group(1) if m else None

    def login(self, username: str, password: str = PASSWORD):
        page = self.client.get("/login")
        token = self._token_from(page.get_data(as_text=True))
        response = self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        self.token = None
        return response

    def csrf(self) -> str:
        if self.token is None:
            self.token = self._token_from(self.client.get("/account/password").get_data(as_text=True))
        return self.token

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=data, **kw)


def confirm_eligible(session, subject, investigator_username: str = "investigator", password: str = PASSWORD):
    """The investigator signs eligibility, overriding whatever the test did not enter."""
    from sqlalchemy import select

    from ecrf.auth.models import User
    from ecrf.enrolment import services

    user = session.scalar(select(User).where(User.username == investigator_username))
    result = services.eligibility(session, subject)
    review = services.confirm_eligibility(session, subject, user, password, [*result.failed, *result.missing],
                                          "test: source documents checked", despite_missing=True)
    session.commit()
    return review


def demographics(session, subject, sex: str = "M", dob: str = "1990-05-05", **extra):
    save(session, subject, "F.DM", {"I.DM.BRTHDAT": dob, "I.DM.SEX": sex, **extra}, event_oid="SE.SUBJECT")


def enrolled_subject(session, site_code: str = "01", sex: str = "M", dob: str = "1990-05-05", **dm):
    """A consented, confirmed-eligible, enrolled subject."""
    from datetime import date

    from ecrf.enrolment import services

    subject = new_subject(session, site_code)
    demographics(session, subject, sex, dob, **dm)
    confirm_eligible(session, subject)
    services.enrol(session, subject, date.today())
    session.commit()
    return subject


def legacy_reason_row(session, subject, reason: str) -> None:
    """An item update as the trail recorded it before reasons were codes: an English sentence."""
    from ecrf.audit import chain
    from ecrf.audit.context import Actor, set_actor
    from ecrf.audit.trail import _row

    set_actor(session, Actor(None, "coordinator", "coordinator", "01"))
    chain.append(session.connection(), [_row(session, "update", "item_data", 1, {
        **subject.audit_keys(), "event_oid": "SE.SCREENING", "form_oid": "F.VS", "item_oid": "I.VS.HR",
        "entity_key": f"{subject.key}/SE.SCREENING[1]/F.VS[1]/I.VS.HR"}, "70", "72", reason)])
    session.commit()


def sledai_values(*present: str, **override) -> dict:
    """A SLEDAI-2K with every descriptor answered: yes for the ids in ``present``, no for the others."""
    from ecrf.clinical import sledai

    values = {"I.SLEDAI.DAT": "2026-11-02", "I.SLEDAI.LOOKBACK": "10"}
    values.update({f"I.SLEDAI.{d.id.upper()}": str(d.id in present).lower() for d in sledai.DESCRIPTORS})
    values.update(override)
    return values


def tokens_for_everyone(app) -> dict[str, str]:
    """A raw API token for every user in the database, by username (committed)."""
    from sqlalchemy import select

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        out = {u.username: issue(db.session, u)[1] for u in db.session.scalars(select(User))}
        db.session.commit()
        db.session.remove()
    return out


def make_app(url: str, instance: Path, **extra):
    from ecrf.app import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance),
        # argon2id still, with small parameters so the suite stays fast; production uses RFC 9106 defaults
        "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        "SERVER_NAME": "localhost",
    }
    config.update(extra)
    return create_app(config)


@contextmanager
def statements(session):
    """The SQL statements sent to the database while the block runs (a list, filled as they go)."""
    from sqlalchemy import event

    seen: list[str] = []

    def listener(conn, cursor, statement, *rest):
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
