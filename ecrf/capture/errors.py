"""Why a write was refused; views turn these into form messages or HTTP statuses."""
from __future__ import annotations


class CaptureError(Exception):
    """Base of refusals raised by the capture service."""

    status = 400
    #: commit the transaction anyway, for the audit record of the refused attempt (a failed signature)
    keep_audit = False


class NotFound(CaptureError):
    status = 404


class Forbidden(CaptureError):
    status = 403


class Invalid(CaptureError):
    """Values failed validation; ``errors`` maps item OIDs (or ``reason``) to messages."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Conflict(CaptureError):
    """Someone saved the form since it was opened."""

    status = 409

    def __init__(self, current_version: int | None = None):
        now = f" (now version {current_version})" if current_version is not None else ""
        super().__init__(f"This form was changed by someone else{now}; reload it.")
        self.current_version = current_version


class Locked(CaptureError):
    status = 423


class Refused(CaptureError):
    """A trial rule forbids the write (no consent yet, steps out of order ...)."""

    status = 409
