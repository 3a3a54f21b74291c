"""Why a service refused: the one home of the error types every service raises.

The faces turn them into answers: a form message or a flash (web), a JSON body (API), an exit code (CLI).
``status`` is the HTTP status a face answers with; the unit of work rolls back on any of them, except where
``keep_audit`` asks to commit the audit record of the refused attempt (a failed signature).
"""
from __future__ import annotations


class ServiceError(Exception):
    """Base of refusals raised by the services."""

    status = 400
    #: commit the transaction anyway, for the audit record of the refused attempt (a failed signature)
    keep_audit = False


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Invalid(ServiceError):
    """Values failed validation; ``errors`` maps item OIDs (or ``reason``) to messages."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Conflict(ServiceError):
    """Someone saved the form since it was opened."""

    status = 409

    def __init__(self, current_version: int | None = None):
        now = f" (now version {current_version})" if current_version is not None else ""
        super().__init__(f"This form was changed by someone else{now}; reload it.")
        self.current_version = current_version


class Locked(ServiceError):
    status = 423


class Refused(ServiceError):
    """A trial rule forbids the write (no consent yet, steps out of order ...)."""

    status = 409


class SignatureFailed(Refused):
    """The password re-entered to sign was wrong (the failed attempt is audited and kept)."""

    status = 403
    keep_audit = True


class AccountError(ServiceError):
    """A refused account operation (users, sites, passwords), with a message for the user."""

    status = 422


class PasswordCheckFailed(AccountError):
    """The current password given to change it was wrong (the failed attempt is audited and kept)."""

    keep_audit = True


class SelfGrantRefused(AccountError):
    """An administrator tried to change their own role or sites (the refused attempt is audited and kept)."""

    status = 403
    keep_audit = True


class TokenError(ServiceError):
    """A refused API token operation, with a message for the user."""

    status = 422


class AuditBypassError(RuntimeError):
    """A write path that would skip the audit trail was refused (a programming error, never a user's)."""
