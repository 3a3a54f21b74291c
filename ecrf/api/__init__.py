"""The JSON API under /api/v1: bearer tokens, the study, subjects, form data, the audit trail and site lists."""
from __future__ import annotations

from ecrf.api import (
    audit,
    auth,
    dashboard,
    efficacy,
    errors,
    exports,
    forms,
    locks,
    openapi,
    queries,
    safety,
    sdv,
    signatures,
    sites,
    study,
    subjects,
    tokens,
    trial,  # noqa: F401  (views register routes)
)
from ecrf.api.routing import bp

auth.register(bp)
errors.register(bp)

__all__ = ["bp"]
