"""The permission matrix: which roles may use which endpoint. The one place access is declared.

Every endpoint of the app must appear here or in PUBLIC; an endpoint that is
missing is refused to everyone (fail closed), and a test walks the URL map to
prove none is missing. Site-level access (which subjects) is checked by
``ecrf.subjects.access`` on every route that names a subject.
"""
from __future__ import annotations

STUDY = frozenset({"investigator", "coordinator", "monitor", "data_manager", "sponsor"})
SITE_STAFF = frozenset({"investigator", "coordinator"})
ADMIN = frozenset({"admin"})
EVERYONE = STUDY | ADMIN

#: reachable without logging in
PUBLIC = frozenset({"static", "auth.login", "auth.reset_password", "web.health", "api.openapi"})

MATRIX: dict[str, frozenset[str]] = {
    # account
    "auth.logout": EVERYONE,
    "auth.change_password": EVERYONE,
    "web.about": EVERYONE,
    "web.index": EVERYONE,
    # administration
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.reset_link": ADMIN,
    "admin.set_active": ADMIN,
    "admin.sites": ADMIN,
    # subjects and data capture
    "subjects.index": STUDY,
    "subjects.new": SITE_STAFF,
    "subjects.casebook": STUDY,
    "capture.form": STUDY,
    "capture.save": SITE_STAFF,
    "capture.calculate": SITE_STAFF,
    # the trial's path
    "consent.icf_versions": STUDY,  # registering a version: investigator or data manager (checked in the view)
    "consent.withdraw": frozenset({"investigator"}),
    "enrolment.eligibility": STUDY,
    "enrolment.confirm": frozenset({"investigator"}),
    "enrolment.enrol": frozenset({"investigator"}),
    "enrolment.screen_fail": SITE_STAFF,
    "enrolment.dose_levels": STUDY,  # recording a decision: investigator or data manager (checked in the view)
    "enrolment.screening_log": STUDY,
    "visits.calendar": STUDY,
    "visits.not_done": SITE_STAFF,
    # audit trail
    "audit.subject": STUDY,
    "audit.form": STUDY,
    "audit.item": STUDY,
    "audit.subject_csv": STUDY,
    "audit.system": ADMIN,
    # API tokens (web pages; owners manage their own, admins everyone's)
    "tokens.index": EVERYONE,
    "tokens.revoke": EVERYONE,
}

#: the JSON API (ecrf.api), checked by the API after it authenticates the bearer token; tested in tests/api
API_MATRIX: dict[str, frozenset[str]] = {
    "api.study": STUDY,
    "api.subjects": STUDY,
    "api.subject": STUDY,
    "api.create_subject": SITE_STAFF,  # subjects.new
    "api.form": STUDY,
    "api.save_form": SITE_STAFF,
    "api.subject_audit": STUDY,
    "api.form_audit": STUDY,  # audit.form
    "api.item_audit": STUDY,  # audit.item
    "api.calculate": SITE_STAFF,  # capture.calculate
    "api.casebook": STUDY,  # subjects.casebook
    "api.screening_log": STUDY,  # enrolment.screening_log
    "api.calendar": STUDY,  # visits.calendar
    # the caller's own tokens only, whatever the role (tokens.index lists everyone's to an admin); no creation
    "api.list_tokens": EVERYONE,  # tokens.index
    "api.revoke_token": EVERYONE,  # tokens.revoke
    # the trial's path (ecrf.api.trial): as the web views, including the role checks inside them
    "api.eligibility": STUDY,  # enrolment.eligibility
    "api.confirm_eligibility": frozenset({"investigator"}),  # enrolment.confirm
    "api.enrol": frozenset({"investigator"}),  # enrolment.enrol
    "api.screen_failure": SITE_STAFF,  # enrolment.screen_fail
    "api.withdraw_consent": frozenset({"investigator"}),  # consent.withdraw
    "api.mark_not_done": SITE_STAFF,  # visits.not_done
    "api.dose_levels": STUDY,  # enrolment.dose_levels (GET)
    "api.record_dose_decision": frozenset({"investigator", "data_manager"}),  # enrolment.dose_levels (POST, in view)
    "api.icf_versions": STUDY,  # consent.icf_versions (GET)
    "api.register_icf_version": frozenset({"investigator", "data_manager"}),  # consent.icf_versions (POST, in view)
}


def allowed(endpoint: str | None, role: str | None) -> bool:
    """Whether ``role`` may call ``endpoint`` (unknown endpoints: nobody)."""
    if endpoint in PUBLIC:
        return True
    return role is not None and role in MATRIX.get(endpoint, API_MATRIX.get(endpoint, frozenset()))
