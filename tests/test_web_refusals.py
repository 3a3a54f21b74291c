"""The HTML face refuses the trial's writes to every role (and site) that may not make them, and stores nothing.

Each write is first made by a role that may make it, to prove the very same request stores something: a
refusal test that posts a request the service would refuse anyway proves nothing about the permission check.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from helpers import PASSWORD, confirm_eligible, demographics, new_subject
from sqlalchemy import func, select

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")
FORBIDDEN_PAGE = "You do not have access to this page or subject."


@dataclass(frozen=True)
class Write:
    allowed: frozenset[str]
    url: str  # {key}: the subject's screening number
    data: dict
    per_subject: bool = True


WRITES = {
    "register_icf_version": Write(frozenset({"investigator", "data_manager"}), "/icf-versions",
                                  {"version": "3.0", "population": "ADULT", "approved_on": "2026-01-15"},
                                  per_subject=False),
    "record_dose_decision": Write(frozenset({"investigator", "data_manager"}), "/dose-levels",
                                  {"decision": "escalate", "decided_on": "2026-12-01",
                                   "rationale": "Safety review committee, minutes of 1 December"}, per_subject=False),
    "confirm_eligibility": Write(frozenset({"investigator"}), "/subjects/{key}/eligibility",
                                 {"password": PASSWORD, "reason": "source documents checked",
                                  "despite_missing": "yes"}),
    "enrol": Write(frozenset({"investigator"}), "/subjects/{key}/enrol", {}),
    "screen_fail": Write(frozenset({"investigator", "coordinator"}), "/subjects/{key}/screen-fail",
                         {"reason": "anti-dsDNA negative at screening"}),
    "withdraw_consent": Write(frozenset({"investigator"}), "/subjects/{key}/withdraw",
                              {"scope": "ALL", "withdrawn_on": "2026-11-10", "note": "moved abroad"}),
    "mark_not_done": Write(frozenset({"investigator", "coordinator"}), "/subjects/{key}/events/SE.D1/not-done",
                           {"event_repeat": "1", "reason": "discharged early"}),
}


def _stored(db, name: str, key: str) -> int:
    """How many rows the write ``name`` has stored (for the subject ``key``)."""
    from ecrf.capture.models import StudyEventData
    from ecrf.consent.models import ConsentWithdrawal, IcfVersion
    from ecrf.enrolment.models import DoseDecision, EligibilityReview
    from ecrf.subjects.models import Subject

    subject = db.session.scalar(select(Subject).where(Subject.key == key))
    count = {
        "register_icf_version": select(func.count()).select_from(IcfVersion).where(IcfVersion.version == "3.0"),
        "record_dose_decision": select(func.count()).select_from(DoseDecision),
        "confirm_eligibility": select(func.count()).select_from(EligibilityReview)
        .where(EligibilityReview.subject_id == subject.id),
        "withdraw_consent": select(func.count()).select_from(ConsentWithdrawal)
        .where(ConsentWithdrawal.subject_id == subject.id),
        "mark_not_done": select(func.count()).select_from(StudyEventData)
        .where(StudyEventData.subject_id == subject.id, StudyEventData.status == "not_done"),
    }
    if name == "enrol":
        return int(subject.status == "enrolled" and subject.subject_no is not None)
    if name == "screen_fail":
        return int(subject.status == "screen_failed")
    return db.session.scalar(count[name])


@pytest.fixture
def trial(app, world):
    """A screening subject of site 01 that any write above would succeed on, and an investigator of site 02.

    Consented, with demographics and a signed eligible review (so it can be enrolled); the request to confirm
    eligibility overrides whatever is still open, so it too would be stored.
    """
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.services import create_user
    from ecrf.enrolment import services
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        create_user(db.session, "investigator2", "Other Investigator", "investigator", ["02"], PASSWORD)
        db.session.commit()
        subject = new_subject(db.session)
        demographics(db.session, subject)
        confirm_eligible(db.session, subject)
        result = services.eligibility(db.session, subject)
        overrides = [*result.failed, *result.missing]
        key = subject.key
        db.session.remove()
    return {"key": key, "overrides": overrides}


def _post(browser, name: str, trial):
    write = WRITES[name]
    data = dict(write.data)
    if name == "confirm_eligibility":
        data["override"] = trial["overrides"]
    return browser.post(write.url.format(key=trial["key"]), data)


def _count(app, name: str, trial) -> int:
    from ecrf.infra.extensions import db

    with app.app_context():
        try:
            return _stored(db, name, trial["key"])
        finally:
            db.session.remove()


ALLOWED = [(name, role) for name, write in WRITES.items() for role in sorted(write.allowed)]


@pytest.mark.parametrize(("name", "role"), ALLOWED)
def test_the_write_is_stored_for_a_role_that_may_make_it(app, trial, as_role, name, role):
    before = _count(app, name, trial)
    response = _post(as_role(role), name, trial)
    assert response.status_code == 302, response.status_code
    assert _count(app, name, trial) == before + 1


REFUSED = [(name, role) for name, write in WRITES.items() for role in ROLES if role not in write.allowed]


@pytest.mark.parametrize(("name", "role"), REFUSED)
def test_the_write_is_refused_to_other_roles_and_nothing_is_stored(app, trial, as_role, name, role):
    before = _count(app, name, trial)
    response = _post(as_role(role), name, trial)
    assert response.status_code == 403, response.status_code
    assert FORBIDDEN_PAGE in response.get_data(as_text=True)
    assert _count(app, name, trial) == before


OTHER_SITE = {"investigator": "investigator2", "coordinator": "coordinator2"}


@pytest.mark.parametrize("name", [n for n, w in WRITES.items() if w.per_subject])
def test_a_subject_write_is_refused_at_another_site_even_to_an_allowed_role(app, trial, as_role, name):
    before = _count(app, name, trial)
    for role in sorted(WRITES[name].allowed):
        response = _post(as_role(OTHER_SITE[role]), name, trial)
        assert response.status_code == 403, (role, response.status_code)
        assert _count(app, name, trial) == before, role


def test_a_refused_write_leaves_no_audit_record_where_an_allowed_one_leaves_one(app, trial, as_role):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    def events() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.entity.in_(("dose_decision", "icf_version"))))

    before = events()
    for name in ("record_dose_decision", "register_icf_version"):
        assert _post(as_role("coordinator"), name, trial).status_code == 403
    assert events() == before
    for name in ("record_dose_decision", "register_icf_version"):
        assert _post(as_role("data_manager"), name, trial).status_code == 302
    assert events() == before + 2


# --- the pages offer each write to exactly the roles that may make it (the templates ask can()) ------------------

OFFERS = {  # (page, what the page shows only to the roles that may act) -> those roles
    ("/subjects", "New subject (screening)"): {"investigator", "coordinator"},
    ("/icf-versions", "Register version"): {"investigator", "data_manager"},
    ("/dose-levels", "Record decision"): {"investigator", "data_manager"},
    ("/subjects/{key}/eligibility", "Sign and confirm"): {"investigator"},
    ("/subjects/{key}", "Record withdrawal"): {"investigator"},
    ("/subjects/{key}", 'class="btn btn-sm btn-primary">Enrol</button>'): {"investigator"},
    ("/subjects/{key}", "Record screen failure"): {"investigator", "coordinator"},
    ("/subjects/{key}/events/SE.SCREENING/forms/F.VS", 'data-testid="save"'): {"investigator", "coordinator"},
    ("/account/tokens", "<th>User</th>"): {"admin"},
    ("/account/tokens", "As an administrator you see and can revoke every user"): {"admin"},
}
NAVIGATION = {"System audit": {"admin"}, ">Users</a>": {"admin"}, ">Sites</a>": {"admin"},
              ">Calendar</a>": {"investigator", "coordinator", "monitor", "data_manager", "sponsor"}}


@pytest.mark.parametrize("role", ROLES)
def test_pages_offer_a_write_only_to_the_roles_that_may_make_it(trial, as_role, role):
    browser = as_role(role)
    wrong = []
    for (page, marker), roles in OFFERS.items():
        response = browser.get(page.format(key=trial["key"]))
        if role in roles and (response.status_code != 200 or marker not in response.get_data(as_text=True)):
            wrong.append(("not offered", page, marker, response.status_code))
        if role not in roles and marker in response.get_data(as_text=True):
            wrong.append(("offered", page, marker))
    menu = browser.get("/account/tokens").get_data(as_text=True)
    wrong += [("menu", item) for item, roles in NAVIGATION.items() if (item in menu) is not (role in roles)]
    assert wrong == []


def test_a_page_offers_no_step_the_subjects_state_has_passed(app, trial, as_role):
    from ecrf.enrolment import services
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    browser = as_role("investigator")
    assert "Sign and confirm" in browser.get(f"/subjects/{trial['key']}/eligibility").get_data(as_text=True)
    with app.app_context():
        subject = db.session.scalar(select(Subject).where(Subject.key == trial["key"]))
        services.enrol(db.session, subject, date(2026, 11, 20))
        db.session.commit()
    assert "Sign and confirm" not in browser.get(f"/subjects/{trial['key']}/eligibility").get_data(as_text=True)
    casebook = browser.get(f"/subjects/{trial['key']}").get_data(as_text=True)
    assert "Record screen failure" not in casebook and "Record withdrawal" in casebook
    assert browser.post(f"/subjects/{trial['key']}/withdraw", WRITES["withdraw_consent"].data).status_code == 302
    assert "Record withdrawal" not in browser.get(f"/subjects/{trial['key']}").get_data(as_text=True)
