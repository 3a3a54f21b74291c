"""A treated subject whose efficacy visits and CAR-T/B-cell samples are written through capture's save_form (as
a site enters them), for the efficacy tests: the worked case of tests/efficacy/test_timeline.py."""
from __future__ import annotations

from datetime import date, timedelta

from helpers import confirm_eligible, consent, demographics, new_subject, sledai_values
from populated import _Filler, _treatment, _users

from ecrf.clinical.outcomes import BILAG_DOMAINS
from ecrf.enrolment import services as enrolment

DAY0_DAYS_AGO = 200


def treated_subject(session, site: str = "01", day0: date | None = None):
    """Consented, eligible, enrolled, lymphodepleted and infused ``DAY0_DAYS_AGO`` days ago; returns (subject,
    day 0, the filler that saves as the site's coordinator)."""
    day0 = day0 or date.today() - timedelta(days=DAY0_DAYS_AGO)
    subject = new_subject(session, site, consented=False)
    consent(session, subject, when=f"{day0 - timedelta(days=70)}T08:00")
    demographics(session, subject)
    confirm_eligible(session, subject)
    enrolment.enrol(session, subject, day0 - timedelta(days=50))
    session.commit()
    users = _users(session)
    if site != "01":
        from sqlalchemy import select

        from ecrf.auth.models import User

        users["coordinator"] = session.scalar(select(User).where(User.username == "coordinator2"))
    fill = _Filler(session, subject, users)
    _treatment(fill, subject, day0)
    session.commit()
    return subject, day0, fill


def bilag(**grades) -> dict:
    """All nine domains E (never involved) unless given."""
    return {d: grades.get(d, "E") for d in BILAG_DOMAINS}


def efficacy_visit(fill, event_oid: str, on: date, *, present=(), pga: str | None = None, gc: tuple | None = None,
                   grades: dict | None = None, haemolysis: bool = False, skip=()) -> None:
    """SLEDAI-2K with ``present`` descriptors, PGA, current glucocorticoid ``(drug, mg/day)`` (or none), BILAG;
    ``skip`` leaves forms unsaved."""
    day = on.isoformat()
    if "F.SLEDAI" not in skip:
        fill.save(event_oid, "F.SLEDAI", sledai_values(*present, **{"I.SLEDAI.DAT": day}))
    if pga is not None and "F.PGA" not in skip:
        fill.save(event_oid, "F.PGA", {"I.PGA.DAT": day, "I.PGA.SCORE": pga})
    if "F.GCIS" not in skip:
        values = {"I.GCIS.DAT": day, "I.GCIS.GCYN": "false", "I.GCIS.HCQ": "true", "I.GCIS.ISYN": "true",
                  "I.GCIS.MMF": "true"}
        if gc:
            values.update({"I.GCIS.GCYN": "true", "I.GCIS.GCDRUG": gc[0], "I.GCIS.GCDOSE": gc[1]})
        fill.save(event_oid, "F.GCIS", values)
    if grades is not None and "F.BILAG" not in skip:
        fill.save(event_oid, "F.BILAG", {"I.BILAG.DAT": day, "I.BILAG.HAEMOLYSIS": str(haemolysis).lower(),
                                         **{f"I.BILAG.{d.upper()}": g for d, g in grades.items()}})


def cart_sample(fill, event_oid: str, on: date, *, qpcr: str | None, cd19: str, cd19_pct: str | None = None,
                event_repeat: int = 1) -> None:
    values = {"I.CARTPK.DTC": f"{on}T09:00", "I.CARTPK.CD19ABS": cd19}
    if qpcr is not None:
        values["I.CARTPK.QPCR"] = qpcr
    if cd19_pct is not None:
        values["I.CARTPK.CD19PCT"] = cd19_pct
    fill.save(event_oid, "F.CARTPK", values)


def worked_case(session, site: str = "01", later: int = 0):
    """The worked case: baseline SLEDAI-2K 14, LLDAS and SRI-4 from day 28, DORIS from month 2, a flare at
    month 3, no glucocorticoid record at month 6; CAR-T peak on day 10, B-cell aplasia from day 7 to day 180.
    ``later``: infused that many days after the first (the sentinel of the dose level waits 14 days)."""
    subject, day0, fill = treated_subject(session, site, date.today() - timedelta(days=DAY0_DAYS_AGO - later))
    at = lambda d: day0 + timedelta(days=d)  # noqa: E731
    efficacy_visit(fill, "SE.SCREENING", at(-60),
                   present=("arthritis", "rash", "proteinuria", "low_complement", "increased_dna_binding"),
                   pga="2.0", gc=("prednisone", "20"),
                   grades=bilag(renal="A", musculoskeletal="B", mucocutaneous="B", haematological="D"))
    efficacy_visit(fill, "SE.D28", at(28), present=("low_complement", "increased_dna_binding"), pga="0.5",
                   gc=("prednisolone", "7.5"), grades=bilag(renal="C", musculoskeletal="D", mucocutaneous="D",
                                                            haematological="D"))
    efficacy_visit(fill, "SE.M2", at(60), present=("low_complement",), pga="0.4", gc=("prednisone", "5"),
                   grades=bilag(renal="D", musculoskeletal="D", mucocutaneous="D", haematological="D"))
    efficacy_visit(fill, "SE.M3", at(90), present=("arthritis", "rash", "proteinuria"), pga="2.3",
                   gc=("methylprednisolone", "4"),
                   grades=bilag(renal="B", musculoskeletal="B", mucocutaneous="C", gastrointestinal="B",
                                haematological="B"))
    efficacy_visit(fill, "SE.M6", at(180), present=(), pga="0.0", grades=bilag(), skip=("F.GCIS",))
    for event_oid, d, qpcr, cd19 in (("SE.D7", 7, "12000", "0.0"), ("SE.D10", 10, "45000", "0.0"),
                                     ("SE.D14", 14, "45000", "0.3"), ("SE.D28", 28, "800", "0.0"),
                                     ("SE.M2", 60, "120", "2.0"), ("SE.M3", 90, "30", "9.9"),
                                     ("SE.M6", 180, "0", "10.0")):
        cart_sample(fill, event_oid, at(d), qpcr=qpcr, cd19=cd19)
    session.commit()
    return subject, day0
