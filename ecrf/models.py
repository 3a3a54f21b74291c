"""Imports every model so the metadata (and Alembic) see all tables."""
from ecrf.audit import trail  # noqa: F401  (installs the audit listeners)
from ecrf.audit.models import AuditEvent, AuditHead
from ecrf.auth.models import ApiToken, PasswordHistory, PasswordResetToken, Site, User, UserSite
from ecrf.auth.totp_models import RecoveryCode, TotpCredential
from ecrf.capture import locks  # noqa: F401  (installs the freeze/lock write guard)
from ecrf.capture.lock_models import DataLock
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.consent.models import ConsentWithdrawal, IcfVersion
from ecrf.enrolment.models import DoseDecision, EligibilityReview
from ecrf.labs.models import Laboratory, NormalRange
from ecrf.mail.models import MailAttempt, OutboxMessage
from ecrf.queries.models import Query, QueryMessage
from ecrf.safety.models import SafetyNotification
from ecrf.sdv.models import ItemVerification, SdvPlan
from ecrf.signatures.models import Signature
from ecrf.subjects.models import Counter, Subject

__all__ = [
    "ApiToken", "AuditEvent", "AuditHead", "ConsentWithdrawal", "Counter", "DataLock", "DoseDecision",
    "EligibilityReview", "FormData", "IcfVersion", "ItemData", "ItemVerification", "Laboratory", "MailAttempt",
    "NormalRange", "OutboxMessage", "PasswordHistory", "PasswordResetToken", "Query", "QueryMessage", "RecoveryCode",
    "SafetyNotification", "SdvPlan", "Signature", "Site",
    "StudyEventData", "Subject", "TotpCredential", "User", "UserSite",
]
