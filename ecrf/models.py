"""Imports every model so the metadata (and Alembic) see all tables."""
from ecrf.audit import trail  # noqa: F401  (installs the audit listeners)
from ecrf.audit.models import AuditEvent, AuditHead
from ecrf.auth.models import ApiToken, PasswordResetToken, Site, User, UserSite
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.subjects.models import Counter, Subject

__all__ = [
    "ApiToken", "AuditEvent", "AuditHead", "Counter", "FormData", "ItemData", "PasswordResetToken", "Site", "StudyEventData", "Subject", "Counter",
    "User", "UserSite",
]
