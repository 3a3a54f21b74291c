"""Who may do what: named actions (``can``) and the endpoint gate (``MATRIX``, ``allowed``). The one place access
is declared.

``ACTIONS`` maps each action to the roles that may take it; ``can(user, action, subject)`` answers for views,
the API and templates (a Jinja global), so no face compares role strings itself. The endpoint matrix is the
route-level gate and reuses the same role sets, so a route and the button that leads to it cannot disagree.

Every endpoint of the app must appear in the matrix or in PUBLIC; an endpoint that is missing is refused to
everyone (fail closed), and a test walks the URL map to prove none is missing. Site-level access (which
subjects) is checked by ``ecrf.subjects.access`` on every route that names a subject, and by ``can`` when
given a subject.
"""
from __future__ import annotations

STUDY = frozenset({"investigator", "coordinator", "monitor", "data_manager", "sponsor"})
SITE_STAFF = frozenset({"investigator", "coordinator"})
INVESTIGATOR = frozenset({"investigator"})
# the safety review and the ICF register are decided by the investigator, kept by data management
TRIAL_RECORDS = frozenset({"investigator", "data_manager"})
ADMIN = frozenset({"admin"})
MONITOR = frozenset({"monitor"})
# the SDV plan is the monitoring plan's: kept by the monitor or data management
SDV_PLANNERS = frozenset({"monitor", "data_manager"})
# queries (ecrf.queries.services decides who closes which query: the raiser's roles)
QUERY_RAISERS = frozenset({"monitor", "data_manager"})
# a thread's free text may identify a participant: the sponsor sees query counts only
QUERY_READERS = SITE_STAFF | QUERY_RAISERS
DATA_MANAGER = frozenset({"data_manager"})
SPONSOR = frozenset({"sponsor"})
EVERYONE = STUDY | ADMIN

#: action -> the roles that may take it
ACTIONS: dict[str, frozenset[str]] = {
    # reading the trial (the study menus); admins manage accounts and never see clinical data
    "view_subjects": STUDY,
    # subjects and data capture
    "create_subject": SITE_STAFF,
    "enter_data": SITE_STAFF,
    "mark_not_done": SITE_STAFF,
    # consent
    "register_icf_version": TRIAL_RECORDS,
    "withdraw_consent": INVESTIGATOR,
    # eligibility, enrolment, dose levels
    "confirm_eligibility": INVESTIGATOR,
    "enrol": INVESTIGATOR,
    "screen_fail": SITE_STAFF,
    "record_dose_decision": TRIAL_RECORDS,
    # electronic signatures (21 CFR Part 11): the investigator signs forms, visits and casebooks
    "sign": INVESTIGATOR,
    # source-data verification: monitors verify; everyone in the study may see how far it got
    "verify_source": MONITOR,
    "manage_sdv_plan": SDV_PLANNERS,
    "view_sdv": STUDY,
    # queries on items: counts for every study role, threads for those who work them
    "view_query_counts": STUDY,
    "read_queries": QUERY_READERS,
    "raise_query": QUERY_RAISERS,
    "answer_query": SITE_STAFF,
    "resolve_query": QUERY_RAISERS,  # close, cancel, re-open: only the raiser's roles (ecrf.queries.services)
    # freeze and lock (ecrf.capture.locks): data management only; reading the state is for every study role
    "freeze": DATA_MANAGER,
    "lock": DATA_MANAGER,
    # exports (ecrf.exports, run as jobs by ecrf.jobs), each of the reader's own sites and masked for their role
    "export_casebook": STUDY,
    "export_blank_crf": STUDY,
    # the whole study's data for analysis and archiving: data management and the sponsor
    "export_study_data": DATA_MANAGER | SPONSOR,
    # the investigator's copy (EMA 2023: data the sponsor does not control), and data management's
    "export_site_archive": SITE_STAFF | DATA_MANAGER,
    # administration
    "manage_users": ADMIN,
    "manage_sites": ADMIN,
    # the site laboratories' normal ranges (ecrf.labs): reference data, kept by data management or an administrator
    "manage_lab_ranges": DATA_MANAGER | ADMIN,
    "view_system_audit": ADMIN,
    # version, revision and migration numbers tell an attacker which known flaws to try: administrators only
    "view_system_versions": ADMIN,
    "revoke_any_token": ADMIN,
    # safety: the SAE list with its reporting clocks, each reader's own sites (ecrf.safety.saes)
    "view_saes": STUDY,
}

#: subject states in which an action is offered at all. Only what the pages hide: the services keep the
#: trial's rules (and their messages) for a request that arrives anyway.
_OFFERED_WHILE: dict[str, frozenset[str]] = {
    "confirm_eligibility": frozenset({"screening"}),
    "enrol": frozenset({"screening"}),
    "screen_fail": frozenset({"screening"}),
}
_NOT_OFFERED_WHEN: dict[str, frozenset[str]] = {
    "withdraw_consent": frozenset({"withdrawn", "completed"}),
}


def can(user, action: str, subject=None) -> bool:
    """Whether ``user`` may take ``action`` (on ``subject``: one of their sites', in a state that offers it).

    An unknown action is a programming error (a typo would silently hide a button), so it raises.
    """
    try:
        roles = ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    if getattr(user, "role", None) not in roles or not getattr(user, "is_authenticated", False):
        return False
    if subject is None:
        return True
    if subject.site_id not in user.site_ids:
        return False
    if action in _OFFERED_WHILE and subject.status not in _OFFERED_WHILE[action]:
        return False
    return subject.status not in _NOT_OFFERED_WHEN.get(action, frozenset())


#: reachable without logging in
PUBLIC = frozenset({"static", "auth.login", "auth.login_code", "auth.reset_password", "web.health", "api.openapi"})

MATRIX: dict[str, frozenset[str]] = {
    # account
    "auth.logout": EVERYONE,
    "auth.change_password": EVERYONE,
    "auth.second_factor": EVERYONE,
    "web.about": EVERYONE,
    "web.index": EVERYONE,
    # each study role's first screen (ecrf.casebook.dashboards)
    "dashboard.index": STUDY,
    # administration
    "admin.users": ACTIONS["manage_users"],
    "admin.new_user": ACTIONS["manage_users"],
    "admin.edit_user": ACTIONS["manage_users"],
    "admin.send_reset_mail": ACTIONS["manage_users"],
    "admin.set_active": ACTIONS["manage_users"],
    "admin.sites": ACTIONS["manage_sites"],
    "labs.laboratories": ACTIONS["manage_lab_ranges"],
    "labs.laboratory": ACTIONS["manage_lab_ranges"],
    "labs.edit_range": ACTIONS["manage_lab_ranges"],
    # subjects and data capture
    "subjects.index": ACTIONS["view_subjects"],
    "subjects.new": ACTIONS["create_subject"],
    "subjects.casebook": STUDY,
    "capture.form": STUDY,
    "capture.save": ACTIONS["enter_data"],
    "capture.calculate": ACTIONS["enter_data"],
    # the trial's path
    "consent.icf_versions": STUDY,  # a POST registers a version: can(user, "register_icf_version"), in the view
    "consent.withdraw": ACTIONS["withdraw_consent"],
    "enrolment.eligibility": STUDY,
    "enrolment.confirm": ACTIONS["confirm_eligibility"],
    "enrolment.enrol": ACTIONS["enrol"],
    "enrolment.screen_fail": ACTIONS["screen_fail"],
    "enrolment.dose_levels": STUDY,  # a POST records a decision: can(user, "record_dose_decision"), in the view
    "enrolment.screening_log": STUDY,
    "visits.calendar": STUDY,
    # electronic signatures
    "signatures.subject": STUDY,
    "signatures.sign": ACTIONS["sign"],
    "signatures.worklist": STUDY,
    "visits.not_done": ACTIONS["mark_not_done"],
    # source-data verification
    "sdv.verify": ACTIONS["verify_source"],
    "sdv.worklist": ACTIONS["view_sdv"],
    "sdv.progress": ACTIONS["view_sdv"],
    "sdv.plans": ACTIONS["view_sdv"],
    "sdv.set_plan": ACTIONS["manage_sdv_plan"],
    # queries
    "queries.worklist": ACTIONS["view_query_counts"],  # the sponsor's page shows counts only
    "queries.thread": ACTIONS["read_queries"],
    "queries.raise_query": ACTIONS["raise_query"],
    "queries.answer": ACTIONS["answer_query"],
    "queries.close": ACTIONS["resolve_query"],
    "queries.cancel": ACTIONS["resolve_query"],
    "queries.reopen": ACTIONS["resolve_query"],
    # freeze and lock
    "locks.index": STUDY,
    "locks.create": ACTIONS["lock"],
    "locks.undo": ACTIONS["lock"],
    # audit trail
    "audit.subject": STUDY,
    "audit.form": STUDY,
    "audit.item": STUDY,
    "audit.subject_csv": STUDY,
    "audit.system": ACTIONS["view_system_audit"],
    # exports (ecrf.web.exports): each kind's own action is checked again by ecrf.exports.scope.request_for;
    # a job and its file are only ever their requester's (ecrf.jobs.services)
    "exports.index": STUDY,
    "exports.submit": STUDY,
    "exports.status": STUDY,
    "exports.download": STUDY,
    "exports.casebook": ACTIONS["export_casebook"],
    "exports.blank_crf": ACTIONS["export_blank_crf"],
    "exports.annotated_crf": ACTIONS["export_blank_crf"],
    "exports.verify": STUDY,
    # API tokens (web pages; owners manage their own, admins everyone's)
    "tokens.index": EVERYONE,
    "tokens.revoke": EVERYONE,
    # charts over study day (ecrf.web.charts): a subject's, and the cohort's of the reader's sites
    "charts.subject": STUDY,
    "charts.cohort": STUDY,
    # safety (ecrf.web.safety)
    "safety.saes": ACTIONS["view_saes"],
    # efficacy per visit, B cells and CAR-T kinetics (ecrf.web.efficacy): everyone in the study who sees the subject
    "efficacy.subject": STUDY,
}

#: the JSON API (ecrf.api), checked by the API after it authenticates the bearer token; tested in tests/api
API_MATRIX: dict[str, frozenset[str]] = {
    "api.study": STUDY,
    "api.dashboard": STUDY,  # dashboard.index
    "api.subjects": STUDY,
    "api.subject": STUDY,
    "api.create_subject": SITE_STAFF,  # subjects.new
    "api.form": STUDY,
    "api.save_form": ACTIONS["enter_data"],
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
    "api.confirm_eligibility": ACTIONS["confirm_eligibility"],  # enrolment.confirm
    "api.enrol": ACTIONS["enrol"],  # enrolment.enrol
    "api.screen_failure": ACTIONS["screen_fail"],  # enrolment.screen_fail
    "api.withdraw_consent": ACTIONS["withdraw_consent"],  # consent.withdraw
    "api.mark_not_done": ACTIONS["mark_not_done"],  # visits.not_done
    "api.dose_levels": STUDY,  # enrolment.dose_levels (GET)
    "api.record_dose_decision": ACTIONS["record_dose_decision"],  # enrolment.dose_levels (POST, in view)
    "api.icf_versions": STUDY,  # consent.icf_versions (GET)
    "api.register_icf_version": ACTIONS["register_icf_version"],  # consent.icf_versions (POST, in view)
    # exports (ecrf.api.exports): as the web pages; the kind's own action is checked by ecrf.exports.scope
    "api.exports": STUDY,  # exports.index
    "api.ask_export": STUDY,  # exports.submit
    "api.export_job": STUDY,  # exports.status
    "api.export_file": STUDY,  # exports.download
    "api.casebook_pdf": ACTIONS["export_casebook"],  # exports.casebook
    "api.blank_crf_pdf": ACTIONS["export_blank_crf"],  # exports.blank_crf, exports.annotated_crf
    # electronic signatures (ecrf.api.signatures)
    "api.signatures": STUDY,  # signatures.subject
    "api.sign": ACTIONS["sign"],  # signatures.sign
    "api.signature_worklist": STUDY,  # signatures.worklist
    # source-data verification (ecrf.api.sdv)
    "api.form_sdv": ACTIONS["view_sdv"],
    "api.item_sdv": ACTIONS["view_sdv"],
    "api.verify_items": ACTIONS["verify_source"],  # sdv.verify
    "api.verify_form": ACTIONS["verify_source"],  # sdv.verify
    "api.sdv_worklist": ACTIONS["view_sdv"],  # sdv.worklist
    "api.sdv_progress": ACTIONS["view_sdv"],  # sdv.progress
    "api.sdv_plan": ACTIONS["view_sdv"],  # sdv.plans
    "api.set_sdv_plan": ACTIONS["manage_sdv_plan"],  # sdv.set_plan
    # queries (ecrf.api.queries): as the web's queries.* endpoints
    "api.query_counts": ACTIONS["view_query_counts"],  # queries.worklist (the sponsor's counts)
    "api.list_queries": ACTIONS["read_queries"],  # queries.worklist
    "api.query": ACTIONS["read_queries"],  # queries.thread
    "api.raise_query": ACTIONS["raise_query"],  # queries.raise_query
    "api.answer_query": ACTIONS["answer_query"],  # queries.answer
    "api.close_query": ACTIONS["resolve_query"],  # queries.close
    "api.cancel_query": ACTIONS["resolve_query"],  # queries.cancel
    "api.reopen_query": ACTIONS["resolve_query"],  # queries.reopen
    # freeze and lock (ecrf.api.locks)
    "api.locks": STUDY,  # locks.index
    "api.create_lock": ACTIONS["lock"],  # locks.create
    "api.undo_lock": ACTIONS["lock"],  # locks.undo
    # safety (ecrf.api.safety)
    "api.saes": ACTIONS["view_saes"],  # safety.saes
    # efficacy (ecrf.api.efficacy): as efficacy.subject
    "api.subject_efficacy": STUDY,
}


def allowed(endpoint: str | None, role: str | None) -> bool:
    """Whether ``role`` may call ``endpoint`` (unknown endpoints: nobody)."""
    if endpoint in PUBLIC:
        return True
    return role is not None and role in MATRIX.get(endpoint, API_MATRIX.get(endpoint, frozenset()))
