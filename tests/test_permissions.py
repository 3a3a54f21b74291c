"""can(user, action, subject): every action for every role, the subject's site and state; and no face compares
role strings itself."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import new_subject
from sqlalchemy import select

from ecrf.auth.permissions import ACTIONS, API_MATRIX, MATRIX, can

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")
STUDY = {"investigator", "coordinator", "monitor", "data_manager", "sponsor"}

#: written out again, by hand, from the protocol's delegation of duties: a change to ACTIONS must change this too
EXPECTED = {
    "view_subjects": STUDY,
    "create_subject": {"investigator", "coordinator"},
    "enter_data": {"investigator", "coordinator"},
    "mark_not_done": {"investigator", "coordinator"},
    "register_icf_version": {"investigator", "data_manager"},
    "withdraw_consent": {"investigator"},
    "confirm_eligibility": {"investigator"},
    "enrol": {"investigator"},
    "screen_fail": {"investigator", "coordinator"},
    "record_dose_decision": {"investigator", "data_manager"},
    "sign": {"investigator"},
    "verify_source": {"monitor"},
    "manage_sdv_plan": {"monitor", "data_manager"},
    "view_sdv": STUDY,
    "view_query_counts": STUDY,
    "read_queries": {"investigator", "coordinator", "monitor", "data_manager"},
    "raise_query": {"monitor", "data_manager"},
    "answer_query": {"investigator", "coordinator"},
    "resolve_query": {"monitor", "data_manager"},
    "freeze": {"data_manager"},
    "lock": {"data_manager"},
    "export_casebook": STUDY,
    "export_blank_crf": STUDY,
    "export_study_data": {"data_manager", "sponsor"},
    "export_site_archive": {"investigator", "coordinator", "data_manager"},
    # the SAE list and its reporting clocks: every study role, each for its own sites (the sponsor is notified too)
    "view_saes": STUDY,
    "manage_users": {"admin"},
    "manage_sites": {"admin"},
    "manage_lab_ranges": {"admin", "data_manager"},
    "view_system_audit": {"admin"},
    "view_system_versions": {"admin"},
    "revoke_any_token": {"admin"},
}
SUBJECT_ACTIONS = ("enter_data", "mark_not_done", "withdraw_consent", "confirm_eligibility", "enrol", "screen_fail")


@pytest.fixture
def people(session, world):
    from ecrf.auth.models import User

    users = {u.username: u for u in session.scalars(select(User))}
    return users, new_subject(session, "01"), new_subject(session, "02")


def test_the_action_table_is_the_expected_one():
    assert set(ACTIONS) == set(EXPECTED)


def test_can_without_a_subject_follows_the_role(people):
    users, _, _ = people
    wrong = [(action, role) for action in EXPECTED for role in ROLES
             if can(users[role], action) is not (role in EXPECTED[action])]
    assert wrong == []


def test_can_with_a_subject_also_needs_the_subjects_site(people):
    users, here, elsewhere = people
    assert here.status == "screening"
    wrong = []
    for action in SUBJECT_ACTIONS:
        for role in ROLES:
            if can(users[role], action, here) is not (role in EXPECTED[action]):
                wrong.append((action, role, "own site"))
            if can(users[role], action, elsewhere):
                wrong.append((action, role, "another site"))
        # the coordinator of site 02: their own site's subject only
        if can(users["coordinator2"], action, here):
            wrong.append((action, "coordinator2", "another site"))
        if can(users["coordinator2"], action, elsewhere) is not ("coordinator" in EXPECTED[action]):
            wrong.append((action, "coordinator2", "own site"))
    assert wrong == []


OFFERED_IN = [
    ("screening", {"enter_data", "mark_not_done", "withdraw_consent", "confirm_eligibility", "enrol", "screen_fail"}),
    ("enrolled", {"enter_data", "mark_not_done", "withdraw_consent"}),
    ("infused", {"enter_data", "mark_not_done", "withdraw_consent"}),
    ("follow_up", {"enter_data", "mark_not_done", "withdraw_consent"}),
    ("screen_failed", {"enter_data", "mark_not_done", "withdraw_consent"}),
    # a subject withdrawn from everything, or done, is offered no new withdrawal; follow-up data entry stays
    ("withdrawn", {"enter_data", "mark_not_done"}),
    ("completed", {"enter_data", "mark_not_done"}),
]


@pytest.mark.parametrize(("status", "offered"), OFFERED_IN)
def test_can_offers_an_action_only_in_the_subject_states_the_pages_show_it(session, people, status, offered):
    users, here, _ = people
    with session.no_autoflush:  # in memory only (a screen failure without its reason would not be stored)
        here.status = status
        assert {a for a in SUBJECT_ACTIONS if can(users["investigator"], a, here)} == offered


def test_every_subject_status_is_in_the_state_table_above():
    from ecrf.subjects.lifecycle import STATUSES

    assert {status for status, _ in OFFERED_IN} == set(STATUSES)


def test_nobody_anonymous_or_deactivated_can_do_anything(people):
    from flask_login import AnonymousUserMixin

    users, here, _ = people
    investigator = users["investigator"]
    investigator.is_active_account = False
    for action in EXPECTED:
        assert can(AnonymousUserMixin(), action) is False
        assert can(None, action) is False
        assert can(investigator, action) is False
        assert can(investigator, action, here) is False


def test_an_unknown_action_is_a_programming_error_not_a_silent_no(people):
    users, _, _ = people
    with pytest.raises(ValueError, match="enrole"):
        can(users["investigator"], "enrole")


# the route gate and the button leading to it cannot disagree: the endpoint matrices use the action table
ENDPOINT_ACTIONS = {
    "subjects.index": "view_subjects", "subjects.new": "create_subject", "capture.save": "enter_data",
    "capture.calculate": "enter_data", "visits.not_done": "mark_not_done", "consent.withdraw": "withdraw_consent",
    "enrolment.confirm": "confirm_eligibility", "enrolment.enrol": "enrol", "enrolment.screen_fail": "screen_fail",
    "admin.users": "manage_users", "admin.new_user": "manage_users", "admin.edit_user": "manage_users",
    "admin.send_reset_mail": "manage_users", "admin.set_active": "manage_users", "admin.sites": "manage_sites",
    "labs.laboratories": "manage_lab_ranges", "labs.laboratory": "manage_lab_ranges",
    "labs.edit_range": "manage_lab_ranges",
    "audit.system": "view_system_audit",
    "api.save_form": "enter_data", "api.confirm_eligibility": "confirm_eligibility", "api.enrol": "enrol",
    "api.screen_failure": "screen_fail", "api.withdraw_consent": "withdraw_consent",
    "api.mark_not_done": "mark_not_done", "api.record_dose_decision": "record_dose_decision",
    "api.register_icf_version": "register_icf_version",
    "signatures.sign": "sign", "api.sign": "sign",
}


@pytest.mark.parametrize(("endpoint", "action"), sorted(ENDPOINT_ACTIONS.items()))
def test_endpoint_gates_grant_the_roles_of_their_action(endpoint, action):
    assert set({**MATRIX, **API_MATRIX}[endpoint]) == EXPECTED[action]


# --- no role strings compared outside the permission table ----------------------------------------------------

ROLE_COMPARISON = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot\s+in\b)")


def _sources():
    yield from sorted((ROOT / "templates").rglob("*.html"))
    yield from sorted((ROOT / "ecrf" / "web").rglob("*.py"))


def test_the_pattern_finds_what_it_must():
    for text in ("current_user.role == 'admin'", "user.role != \"admin\"", "current_user.role in ('a', 'b')",
                 "current_user.role not in ('a',)", "user.role  in ROLES"):
        assert ROLE_COMPARISON.search(text), text
    for text in ("current_user.role|replace('_', ' ')", "form.role.data", "r.role", "{{ u.role }}"):
        assert not ROLE_COMPARISON.search(text), text


def test_no_template_or_web_view_compares_role_strings():
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in _sources() for n, line in enumerate(path.read_text().splitlines(), 1)
             if ROLE_COMPARISON.search(line)]
    assert list(_sources()), "no sources scanned"
    assert found == [], "ask can(user, action, subject) instead:\n" + "\n".join(found)
