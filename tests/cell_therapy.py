"""Shared steps for tests that need an infused subject: collection, release, lymphodepletion and the infusion,
saved through capture in the order the trial's rules ask (dates relative to today)."""
from __future__ import annotations

from datetime import date, timedelta

from helpers import save


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def ready_for_infusion(session, subject, ld1: int = -6) -> None:
    collected = day(ld1 - 10)
    save(session, subject, "F.LEUK", {"I.LEUK.TYPE": "LEUKAPHERESIS", "I.LEUK.STDTC": f"{collected}T09:00",
                                      "I.LEUK.ENDTC": f"{collected}T13:00", "I.LEUK.TNC": "5.2",
                                      "I.LEUK.COMPL": "false"}, event_oid="SE.LEUKAPHERESIS")
    save(session, subject, "F.PRODUCT", {"I.PRODUCT.LOT": "LOT-001", "I.PRODUCT.VECTOR": "LENTIVIRAL",
                                         "I.PRODUCT.RELDAT": day(ld1), "I.PRODUCT.VIAB": "92.5",
                                         "I.PRODUCT.CARPCT": "41.0", "I.PRODUCT.RELRES": "PASS"},
         event_oid="SE.LEUKAPHERESIS")
    for n, event_oid in enumerate(("SE.LD1", "SE.LD2", "SE.LD3")):
        save(session, subject, "F.LDDOSE", {"I.LDDOSE.DAT": day(ld1 + n), "I.LDDOSE.FLUYN": "true",
                                            "I.LDDOSE.FLUM2": "30", "I.LDDOSE.CYYN": "true", "I.LDDOSE.CYM2": "500",
                                            "I.LDDOSE.MOD": "false"}, event_oid=event_oid)


def infusion_values(per_kg: str = "1.5", complete: str = "true", on: int = -1, **extra) -> dict:
    when = day(on)
    return {"I.INF.WEIGHT": "60", "I.INF.WEIGHTDAT": when, "I.INF.DOSELEVEL": "1", "I.INF.DOSEKG": per_kg,
            "I.INF.LOT": "LOT-001", "I.INF.STDTC": f"{when}T10:00", "I.INF.ENDTC": f"{when}T10:20",
            "I.INF.COMPLETE": complete, "I.INF.PREMED": "false", "I.INF.REACT": "false", **extra}


def infused(session, subject, on: int = -10) -> None:
    """``subject`` (enrolled, dose level 1) infused ``on`` days from today (lymphodepletion 6 days before)."""
    ready_for_infusion(session, subject, ld1=on - 5)
    save(session, subject, "F.INF", infusion_values(on=on), event_oid="SE.D0")
