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
PUBLIC = frozenset({"static", "auth.login", "auth.reset_password", "web.health"})

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
    # audit trail
    "audit.subject": STUDY,
    "audit.form": STUDY,
    "audit.item": STUDY,
    "audit.subject_csv": STUDY,
    "audit.system": ADMIN,
}


def allowed(endpoint: str | None, role: str | None) -> bool:
    """Whether ``role`` may call ``endpoint`` (unknown endpoints: nobody)."""
    if endpoint in PUBLIC:
        return True
    return role is not None and role in MATRIX.get(endpoint, frozenset())
