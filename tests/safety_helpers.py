"""Shared by the safety tests: adverse-event values, an infusion recorded without the whole treatment path, and
the safety recipients configured for a test."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

from helpers import save

#: a non-serious grade 1 event, complete
AE = {"I.AE.TERM": "Headache", "I.AE.STDAT": "2026-11-12", "I.AE.ONGO": "Y", "I.AE.TOXGR": "1", "I.AE.SER": "N",
      "I.AE.RELCART": "NOT RELATED", "I.AE.OUT": "NOT RECOVERED/NOT RESOLVED"}
#: a serious, hospitalised, possibly CAR-T related, unexpected grade 3 event, aware at 02:00 UTC on 12 Nov
SERIOUS = {**AE, "I.AE.TERM": "Febrile neutropenia", "I.AE.TOXGR": "3", "I.AE.SER": "Y", "I.AE.SHOSP": "Y",
           "I.AE.RELCART": "POSSIBLY RELATED", "I.AE.EXPECT": "UNEXPECTED", "I.AE.AWAREDTC": "2026-11-12T10:00"}


def ae(**override) -> dict:
    return {**AE, **override}


def serious(**override) -> dict:
    return {**SERIOUS, **override}


def save_ae(session, subject, values: dict, repeat: int = 1, **kw):
    """Save AE record ``repeat`` of the subject (the version it has now), committed."""
    from ecrf.capture import services

    target = services.resolve(subject, "SE.SUBJECT", "F.AE", 1, repeat)
    existing = services.find_form(session, target)
    from helpers import ctx

    form = services.save_form(session, target, values, version=existing.version if existing else 0, user_id=None,
                              ctx=ctx(), **kw)
    session.commit()
    return form


@contextmanager
def without_treatment_order():
    """The trial's rules without the cell-therapy order checks: an infusion can be recorded on its own."""
    from ecrf.capture import rules

    before = rules.installed()
    kept = {kind: tuple(c for c in getattr(before, kind) if c.__module__ != "ecrf.treatment.guards")
            for kind in ("gates", "checks")}
    rules.install(replace(before, **kept))
    try:
        yield
    finally:
        rules.install(before)


def infuse(session, subject, start: str = "2026-11-10T10:00"):
    """Record the infusion start (site-local time) on F.INF at day 0."""
    with without_treatment_order():
        return save(session, subject, "F.INF", {"I.INF.STDTC": start}, event_oid="SE.D0")


@contextmanager
def safety_recipients(*addresses: str):
    """``SAFETY_MAIL_TO`` set to ``addresses`` for the block."""
    from ecrf.safety import notifications

    before = notifications.recipients()
    notifications.configure({"SAFETY_MAIL_TO": ",".join(addresses)})
    try:
        yield
    finally:
        notifications.configure({"SAFETY_MAIL_TO": ",".join(before)})
