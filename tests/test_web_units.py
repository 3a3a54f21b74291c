"""One unit of work per web request: perform() runs the service under unit_of_work and shows its refusal where the
user looks; refused attempts that are audited keep their record, other refusals store nothing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import PASSWORD, Browser
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]


def _events(app, action: str) -> int:
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))
        finally:
            db.session.remove()


@pytest.fixture
def request_session(app, world):
    """A request context (for flash and forms) with an actor, as a view runs in."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    with app.test_request_context("/subjects", method="POST"):
        set_actor(db.session, Actor(None, "test", "system"))
        yield db.session
        db.session.rollback()


def _sites(session) -> set[str]:
    from ecrf.auth.models import Site

    return set(session.scalars(select(Site.code)))


def test_perform_commits_once_and_flashes_the_success(request_session):
    from flask import get_flashed_messages

    from ecrf.auth.services import create_site
    from ecrf.web.actions import perform

    done = perform(lambda: create_site(request_session, "03", "Site three"), lambda site: f"{site.code} created")
    assert done and done.result.code == "03"
    request_session.rollback()  # only what was committed survives this
    assert "03" in _sites(request_session)
    assert get_flashed_messages(with_categories=True) == [("success", "03 created")]


def test_perform_rolls_a_refusal_back_and_flashes_it(request_session):
    from flask import get_flashed_messages

    from ecrf.auth.services import create_site
    from ecrf.errors import Refused
    from ecrf.web.actions import perform

    def half_done():
        create_site(request_session, "04", "Site four")  # flushed, then refused
        raise Refused("The second step was refused.")

    done = perform(half_done, "never shown")
    assert not done and isinstance(done.refusal, Refused)
    assert "04" not in _sites(request_session)
    assert get_flashed_messages(with_categories=True) == [("danger", "The second step was refused.")]


def test_perform_keeps_the_audit_record_a_refusal_asks_to_keep(app, request_session):
    from ecrf.audit.trail import record
    from ecrf.errors import SignatureFailed
    from ecrf.web.actions import perform

    def failed_signature():
        record(request_session, "signature_failed", "eligibility_review")
        raise SignatureFailed("The password is wrong.")

    assert not perform(failed_signature)
    assert _events(app, "signature_failed") == 1


def test_perform_puts_an_invalid_on_the_fields_it_names_and_other_refusals_on_the_given_field(request_session):
    from flask import get_flashed_messages

    from ecrf.errors import AccountError, Invalid
    from ecrf.forms.builder import form_class
    from ecrf.forms.webforms import SiteForm
    from ecrf.study.definition import load
    from ecrf.web.actions import perform

    def refuse(exc):
        def action():
            raise exc
        return action

    crf = form_class(load().form("F.VS"))(meta={"csrf": False})
    invalid = Invalid({"I.VS.HR": "At most 250.", "reason": "Give the reason for the change."})
    done = perform(refuse(invalid), form=crf)
    assert done.refusal is invalid
    assert crf["I.VS.HR"].errors == ["At most 250."]
    assert crf.reason_code.errors == ["Give the reason for the change."]
    # a refusal of the whole form is the caller's to show on its page, not a flash as well
    assert not perform(refuse(AccountError("Locked.")), form=crf)
    site = SiteForm(meta={"csrf": False})
    assert not perform(refuse(AccountError("Site 01 exists.")), field=site.code)
    assert site.code.errors == ["Site 01 exists."]
    assert get_flashed_messages() == []


def test_a_wrong_current_password_is_kept_in_the_audit_trail_a_weak_new_one_stores_nothing(app, world):
    browser = Browser(app.test_client())
    browser.login("investigator")
    wrong = browser.post("/account/password", {"current_password": "not-my-password",
                                               "new_password": "brand new pass 2026", "confirm": "brand new pass 2026"})
    assert wrong.status_code == 200 and "current password is wrong" in wrong.get_data(as_text=True)
    assert _events(app, "password_change_failed") == 1
    weak = browser.post("/account/password", {"current_password": PASSWORD, "new_password": "short",
                                              "confirm": "short"})
    assert weak.status_code == 200
    assert _events(app, "password_change_failed") == 1
    assert Browser(app.test_client()).login("investigator", PASSWORD).status_code == 302


def test_a_failed_login_is_kept_in_the_audit_trail(app, world):
    assert Browser(app.test_client()).login("monitor", "wrong password").status_code == 200
    assert _events(app, "login_failed") == 1


def test_no_web_view_commits_by_itself():
    """Every web write goes through unit_of_work (perform), so a refusal is never half committed."""
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "ecrf" / "web").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"\.commit\(", line)]
    assert found == []
