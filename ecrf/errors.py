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
    """Values failed validation; ``errors`` maps item OIDs (or ``reason``) to messages. ``general`` are the
    messages of the same save that concern the whole form (a trial rule naming no item), shown beside them."""

    status = 422

    def __init__(self, errors: dict[str, str], general: tuple[str, ...] = ()):
        super().__init__("; ".join([*(f"{k}: {v}" for k, v in errors.items()), *general]))
        self.errors = errors
        self.general = tuple(general)


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
    """A trial rule forbids the write (no consent yet, steps out of order ...).

    ``item`` names the item the problem is about (the infusion start before lymphodepletion), so that the form
    shows it at that field; ``first`` names what must be entered before this form can be: an (event OID, form
    OID) pair, or ``"enrolment"`` (the eligibility and enrolment page). A save that breaks several rules raises
    one :class:`Refusals` with all of them.
    """

    status = 409

    def __init__(self, message: str = "", *, item: str | None = None, first: tuple[str, str] | str | None = None):
        super().__init__(message)
        self.item, self.first = item, first

    @property
    def problems(self) -> tuple[Refused, ...]:
        return (self,)


class Refusals(Refused):
    """Several refusals of one save, in the order the rules found them (the message joins theirs)."""

    def __init__(self, problems: list[Refused]):
        flat = [p for problem in problems for p in problem.problems]
        super().__init__(" ".join(str(p) for p in flat), item=flat[0].item, first=flat[0].first)
        self._problems = tuple(flat)

    @property
    def problems(self) -> tuple[Refused, ...]:
        return self._problems

    @staticmethod
    def of(problems: list[Refused]) -> Refused | None:
        """None for no problem, the refusal itself for one, all of them in one for several."""
        if not problems:
            return None
        return problems[0] if len(problems) == 1 else Refusals(problems)


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
