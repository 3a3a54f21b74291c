"""Synthetic demo data: one site, one user per role, and a cohort telling the trial's story on dates relative to
today (each subject's stage and dates: ``_subjects``). No real person.

Every date is in the order of the trial's path: the ICF version approved before consent, consent before screening,
screening before the investigator's confirmation (dated on its story day, not when the demo is seeded), then
enrolment, leukapheresis, lymphodepletion day -5, infusion (day 0) and visits on their target days.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ecrf.audit.context import Actor, set_actor
from ecrf.auth.models import ROLES, Site, User
from ecrf.auth.services import create_site, create_user
from ecrf.capture import locks
from ecrf.capture import services as capture
from ecrf.clinical import sledai
from ecrf.consent import services as consent
from ecrf.consent.models import IcfVersion
from ecrf.demo import screening as screening_visit
from ecrf.enrolment import services
from ecrf.enrolment.services import screen_fail
from ecrf.infra.extensions import db
from ecrf.labs.demo_ranges import seed_demo_ranges
from ecrf.queries.services import raise_query, step
from ecrf.sdv.services import verify_form
from ecrf.signatures.coverage import Scope
from ecrf.signatures.services import sign
from ecrf.study.clock import utcnow, zone
from ecrf.study.validation import Context
from ecrf.subjects.models import Subject
from ecrf.subjects.services import create_subject

SITE = ("01", "Demo University Hospital", "Asia/Shanghai")
NAMES = {
    "admin": "Alex Admin", "investigator": "Dr Ivy Investigator", "coordinator": "Casey Coordinator",
    "monitor": "Morgan Monitor", "data_manager": "Dana Manager", "sponsor": "Sam Sponsor",
}


def _save(subject, event_oid: str, form_oid: str, values: dict, form_repeat: int = 1, marked: bool = True) -> None:
    target = capture.resolve(subject, event_oid, form_oid, 1, form_repeat)
    existing = capture.find_form(db.session, target)
    form = capture.save_form(db.session, target, values, version=existing.version if existing else 0, user_id=None,
                             ctx=Context.now_at(subject.site.zone))
    if marked:
        _mark_significance(target, form)


def _mark_significance(target, form) -> None:
    """The site marks each result outside the laboratory's range clinically significant (cytopenias after
    lymphodepletion) or not, as it enters the form: the answers close their system queries."""
    from ecrf.queries.models import OPEN, SYSTEM, Query

    oids = db.session.scalars(select(Query.item_oid).where(
        Query.form_id == form.id, Query.raised_role == SYSTEM, Query.state == OPEN,
        Query.check_id.like("%\\_CS", escape="\\"))).all()
    if oids:
        marks = {oid: "CS" if oid in ("I.HEM.NEUTCS", "I.HEM.PLATCS") else "NCS" for oid in oids}
        capture.save_form(db.session, target, {**form.values, **marks}, version=form.version, user_id=None,
                          ctx=Context.now_at(target.subject.site.zone))


def _correct(subject, event_oid: str, form_oid: str, values: dict, user, reason: str, note: str) -> None:
    """``user`` changes some values of a stored form, with a reason for change (the other values stay)."""
    target = capture.resolve(subject, event_oid, form_oid, 1, 1)
    form = capture.find_form(db.session, target)
    set_actor(db.session, Actor.of(user))
    capture.save_form(db.session, target, {**form.values, **values}, version=form.version, user_id=user.id,
                      ctx=Context.now_at(subject.site.zone), reason_code=reason, reason_note=note)


def _crs_episode(subject) -> None:
    """A CRS episode graded from its components (day 1: fever, grade 1; day 2: afebrile after paracetamol with
    hypotension and low-flow oxygen, grade 2 because fever was present the day before), its adverse event, the
    medication given for it, and a grade 1 ICANS with its adverse event."""
    crs = {"I.CRS.FEVEROTH": "false", "I.CRS.VASOCNT": "0", "I.CRS.VASOPRSN": "false", "I.CRS.DEATH": "false",
           "I.CRS.AENO": "1"}
    ae = {"I.AE.ONGO": "N", "I.AE.SER": "N", "I.AE.RELCART": "RELATED", "I.AE.OUT": "RECOVERED/RESOLVED",
          "I.AE.AESI": "true"}
    _save(subject, "SE.SUBJECT", "F.AE", {**ae, "I.AE.TERM": "Cytokine release syndrome", "I.AE.STDAT": _days_ago(14),
                                          "I.AE.ENDAT": _days_ago(12), "I.AE.TOXGR": "2", "I.AE.AESITYP": "CRS"}, 1)
    _save(subject, "SE.SUBJECT", "F.AE", {**ae, "I.AE.TERM": "Immune effector cell-associated neurotoxicity",
                                          "I.AE.STDAT": _days_ago(13), "I.AE.ENDAT": _days_ago(12),
                                          "I.AE.TOXGR": "1", "I.AE.AESITYP": "ICANS"}, 2)
    _save(subject, "SE.SUBJECT", "F.CM", {
        "I.CM.TRT": "paracetamol", "I.CM.CAT": "CRS_ICANS", "I.CM.INDC": "Cytokine release syndrome (fever)",
        "I.CM.AENO": "1", "I.CM.DOSE": "1000", "I.CM.DOSU": "mg", "I.CM.DOSFRQ": "QID", "I.CM.ROUTE": "ORAL",
        "I.CM.STDAT": _days_ago(14), "I.CM.ONGO": "N", "I.CM.ENDAT": _days_ago(13)}, 1)
    _save(subject, "SE.D1", "F.CRS", {**crs, "I.CRS.DTC": f"{_days_ago(14)}T14:00", "I.CRS.TEMP": "38.4",
                                      "I.CRS.ANTIPYR": "true", "I.CRS.HYPOTYN": "false", "I.CRS.SBPMIN": "112",
                                      "I.CRS.O2DEV": "none"})
    _save(subject, "SE.D2", "F.CRS", {**crs, "I.CRS.DTC": f"{_days_ago(13)}T14:00", "I.CRS.TEMP": "37.4",
                                      "I.CRS.ANTIPYR": "true", "I.CRS.HYPOTYN": "true", "I.CRS.SBPMIN": "86",
                                      "I.CRS.O2DEV": "nasal_cannula", "I.CRS.O2FLOW": "2"})
    _save(subject, "SE.D2", "F.ICANS", {
        "I.ICANS.DTC": f"{_days_ago(13)}T15:00", "I.ICANS.TOOL": "ICE", "I.ICANS.ICEORIENT": "4",
        "I.ICANS.ICEOBJECTS": "3", "I.ICANS.ICECMD": "1", "I.ICANS.ICEWRITE": "0", "I.ICANS.ICEATTN": "1",
        "I.ICANS.LOC": "normal", "I.ICANS.SEIZ": "none", "I.ICANS.MOTOR": "none", "I.ICANS.ICP": "none",
        "I.ICANS.DEATH": "false", "I.ICANS.AENO": "2"})


#: the ethics committee approved ICF version 2.0 before the first participant (infused a year ago) consented
ICF_APPROVED = date.today() - timedelta(days=480)


def _days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def _consent(subject, days_ago: int, child: bool = False) -> None:
    common = {"I.IC.REASON": "FIRST", "I.IC.VERSION": "2.0", "I.IC.VERDAT": ICF_APPROVED.isoformat(),
              "I.IC.COPY": "true", "I.IC.DTC": _days_ago(days_ago)}
    if child:
        _save(subject, "SE.SUBJECT", "F.IC", {**common, "I.IC.TYPE": "GUARDIAN", "I.IC.SIGNER": "LAR"}, 1)
        _save(subject, "SE.SUBJECT", "F.IC", {**common, "I.IC.TYPE": "ASSENT", "I.IC.SIGNER": "PARTICIPANT"}, 2)
    else:
        _save(subject, "SE.SUBJECT", "F.IC", {**common, "I.IC.TYPE": "ADULT", "I.IC.SIGNER": "PARTICIPANT"}, 1)


def _screening(subject, days_ago: int, **vitals) -> None:
    """The screening visit's entry, ``days_ago`` (its date): every screening of the demo opens here with the vital
    signs, after the visit's own date (F.SV): screening is dated by it, never by its other forms."""
    _save(subject, "SE.SCREENING", "F.SV", {"I.SV.STDAT": _days_ago(days_ago)})
    _vitals(subject, "SE.SCREENING", days_ago, **vitals)


def _complete_screening(subject, days_ago: int, confirmed: int | None = None, **kw) -> None:
    """Every required screening form, meeting every criterion (ecrf.demo.screening); F.ELIG's "eligible" answer
    dated ``confirmed`` days ago when the investigator has confirmed."""
    first = date.today() - timedelta(days=days_ago)
    on = date.today() - timedelta(days=confirmed) if confirmed is not None else None
    values = screening_visit.forms(first, confirmed_on=on, **kw)
    _screening(subject, days_ago, **{k: v for k, v in values.pop("F.VS").items() if k != "I.VS.DTC"})
    for form_oid, form_values in values.items():
        _save(subject, "SE.SCREENING", form_oid, form_values)


def _vitals(subject, event_oid: str, days_ago: int, **override) -> None:
    values = {"I.VS.DTC": f"{_days_ago(days_ago)}T09:30", "I.VS.TEMP": "36.7", "I.VS.SYSBP": "116",
              "I.VS.DIABP": "74", "I.VS.HR": "78", "I.VS.RESP": "16", "I.VS.SPO2": "98", "I.VS.WEIGHT": "52.5"}
    _save(subject, event_oid, "F.VS", {**values, **override})


def seed(passwords: str | Mapping[str, str]) -> list[str]:
    """Create the demo site, users (one per role, username = role) and subjects, idempotent for the site and users;
    ``passwords``: one for every user, or each role's own. Returns the usernames."""
    if isinstance(passwords, str):
        passwords = dict.fromkeys(ROLES, passwords)
    set_actor(db.session, Actor(None, "seed-demo", "system"))
    site = db.session.scalar(select(Site).where(Site.code == SITE[0])) or create_site(db.session, *SITE)
    for role in ROLES:
        if not db.session.scalar(select(User.id).where(User.username == role)):
            create_user(db.session, role, NAMES[role], role, [] if role == "admin" else [site.code], passwords[role])
    seed_demo_ranges(db.session, site)  # before any result: each is flagged against the range in force
    db.session.commit()
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    set_actor(db.session, Actor.of(coordinator))
    if not _has_subjects(site):
        password = passwords["investigator"]  # the investigator signs
        _subjects(site, password)
        _safety()
        _monitoring(site, password)
    db.session.commit()
    return list(ROLES)


def _has_subjects(site) -> bool:

    return db.session.scalar(select(Subject.id).where(Subject.site_id == site.id)) is not None


def _register_icf() -> None:

    for population in ("ADULT", "GUARDIAN", "ASSENT"):
        db.session.add(IcfVersion(version="2.0", population=population, approved_on=ICF_APPROVED))
    db.session.flush()


def _dm(subject, sex: str, dob: str, **extra) -> None:
    _save(subject, "SE.SUBJECT", "F.DM", {"I.DM.BRTHDAT": dob, "I.DM.SEX": sex, "I.DM.ETHNIC": "NOT REPORTED", **extra})


def _preg(subject, event_oid: str, days_ago: int, spec: str = "URINE") -> None:
    _save(subject, event_oid, "F.PREG", {"I.PREG.DTC": f"{_days_ago(days_ago)}T08:00", "I.PREG.SPEC": spec,
                                         "I.PREG.SENS": "25", "I.PREG.RES": "NEG"})


def _stamp(days_ago: int, at: time = time(11, 0)) -> datetime:
    """``at`` o'clock at the site ``days_ago`` days ago, in UTC (never later than now)."""
    local = datetime.combine(date.today() - timedelta(days=days_ago), at, tzinfo=zone(SITE[2]))
    return min(local.astimezone(utcnow().tzinfo), utcnow())


def _confirm(subject, password: str, days_ago: int) -> None:
    """The investigator confirms eligibility ``days_ago`` days ago (the confirmation is dated on that day); a
    criterion whose data the demo does not hold is overridden with a reason."""
    investigator = db.session.scalar(select(User).where(User.username == "investigator"))
    result = services.eligibility(db.session, subject)
    services.confirm_eligibility(db.session, subject, investigator, password, [*result.failed, *result.missing],
                                 "Demo data: the screening source documents are on file for the criteria not entered.",
                                 despite_missing=True, at=_stamp(days_ago))


def _enrol(subject, password: str, confirmed: int, on: int) -> None:
    """Eligibility confirmed ``confirmed`` days ago and the subject enrolled ``on`` days ago (on or after it)."""
    _confirm(subject, password, confirmed)
    services.enrol(db.session, subject, date.today() - timedelta(days=on))


def _treat(subject, collected: int, ld1: int, infusion: int | None, dose_per_kg: str = "1.5") -> None:
    _save(subject, "SE.LEUKAPHERESIS", "F.LEUK", {
        "I.LEUK.TYPE": "LEUKAPHERESIS", "I.LEUK.STDTC": f"{_days_ago(collected)}T09:00",
        "I.LEUK.ENDTC": f"{_days_ago(collected)}T13:00", "I.LEUK.VOLPROC": "9000", "I.LEUK.TNC": "6.1",
        "I.LEUK.COMPL": "false"})
    _save(subject, "SE.LEUKAPHERESIS", "F.PRODUCT", {
        "I.PRODUCT.LOT": f"CART19-{subject.subject_no}", "I.PRODUCT.VECTOR": "LENTIVIRAL",
        "I.PRODUCT.RELDAT": _days_ago(ld1), "I.PRODUCT.VIAB": "91.0", "I.PRODUCT.CARPCT": "38.5",
        "I.PRODUCT.RELRES": "PASS"})
    _save(subject, "SE.LD1", "F.LD", {"I.LD.DAT": _days_ago(ld1), "I.LD.HEIGHT": "165", "I.LD.WEIGHT": "58"})
    for n, event_oid in enumerate(("SE.LD1", "SE.LD2", "SE.LD3")):
        _save(subject, event_oid, "F.LDDOSE", {
            "I.LDDOSE.DAT": _days_ago(ld1 - n), "I.LDDOSE.FLUYN": "true", "I.LDDOSE.FLUM2": "30",
            "I.LDDOSE.FLUMG": "48", "I.LDDOSE.CYYN": "true", "I.LDDOSE.CYM2": "500", "I.LDDOSE.CYMG": "800",
            "I.LDDOSE.MOD": "false"})
    if infusion is None:
        return
    day = _days_ago(infusion)
    _save(subject, "SE.D0", "F.INF", {
        "I.INF.WEIGHT": "58", "I.INF.WEIGHTDAT": day, "I.INF.DOSELEVEL": str(subject.dose_level),
        "I.INF.DOSEKG": dose_per_kg, "I.INF.LOT": f"CART19-{subject.subject_no}", "I.INF.STDTC": f"{day}T10:00",
        "I.INF.ENDTC": f"{day}T10:15", "I.INF.COMPLETE": "true", "I.INF.PREMED": "true",
        "I.INF.PREMEDSP": "paracetamol, chlorphenamine", "I.INF.REACT": "false",
        **{f"I.INF.{when}{k}": v for when in ("PRE", "POST") for k, v in (
            ("DTC", f"{day}T{'09:40' if when == 'PRE' else '10:45'}"), ("TEMP", "36.8"), ("SYSBP", "118"),
            ("DIABP", "72"), ("HR", "80"), ("SPO2", "98"))}})


def _subjects(site, password: str) -> None:
    """The cohort, screening numbers 01-S001 to 01-S010 (stable: tests and the browser tests name them). The
    stories are told in the order of enrolment so that subject numbers follow the calendar (01-001 a year ago)."""
    _register_icf()
    woman, child, failed, follow, infused, waiting, _, eligible, month6, withdrawn = (
        create_subject(db.session, site) for _ in range(10))  # 01-S007: just registered, nothing entered yet

    # 01-S001: a woman of childbearing potential, screening complete (her serum test and contraception agreement
    # too): every criterion met, waiting for the investigator's confirmation
    _consent(woman, 9)
    _dm(woman, "F", "1994-03-12", **{"I.DM.MENARCHE": "true", "I.DM.STERIL": "false", "I.DM.POSTMENO": "false"})
    _complete_screening(woman, 8, sex="F", weight="52.5", height="162", wocbp=True)
    # 01-S002: a 10-year-old boy, his guardian's permission and his own assent, screening started
    _consent(child, 3, child=True)
    _dm(child, "M", (date.today() - timedelta(days=365 * 10 + 40)).isoformat())
    _screening(child, 2, **{"I.VS.SYSBP": "104", "I.VS.DIABP": "66", "I.VS.HR": "92", "I.VS.WEIGHT": "31.0"})
    # 01-S003: a screen failure
    _consent(failed, 40)
    _dm(failed, "M", "1987-07-30")
    _screening(failed, 38)
    _save(failed, "SE.SCREENING", "F.CARDIO", {"I.CARDIO.ECHODAT": _days_ago(38), "I.CARDIO.LVEF": "45",
                                               "I.CARDIO.ECGDAT": _days_ago(38), "I.CARDIO.ECG": "NORMAL"})
    screen_fail(db.session, failed, "LVEF 45 % (inclusion IN5 requires 55 % or more)")
    # 01-S004 (01-001): the sentinel subject of dose level 1, a woman of childbearing potential, infused a year ago
    # and followed to month 12: in DORIS remission from month 3 (the course: _remission_course)
    _consent(follow, FOLLOW_INFUSED + 35)
    _dm(follow, "F", "1990-11-02", **{"I.DM.MENARCHE": "true"})
    _screening(follow, FOLLOW_INFUSED + 30)
    _preg(follow, "SE.SCREENING", FOLLOW_INFUSED + 30, "SERUM")
    _contraception(follow, "SE.SCREENING", FOLLOW_INFUSED + 30)
    _disease_course(follow, screening=True)  # before eligibility is confirmed (a signature over the screening data)
    _enrol(follow, password, confirmed=FOLLOW_INFUSED + 27, on=FOLLOW_INFUSED + 26)
    _preg(follow, "SE.PRELD", FOLLOW_INFUSED + 7)
    _preg(follow, "SE.D0", FOLLOW_INFUSED)
    _treat(follow, collected=FOLLOW_INFUSED + 20, ld1=FOLLOW_INFUSED + 5, infusion=FOLLOW_INFUSED)
    early = (*((f"SE.D{d}", d) for d in range(1, 15)), ("SE.D21", 21))  # in hospital to day 14, then day 21
    for event_oid, day in (*early, *FOLLOW_MONTHS):
        _vitals(follow, event_oid, FOLLOW_INFUSED - day)
    for event_oid, day in FOLLOW_MONTHS:  # her tests and contraception at day 28 and months 2 to 12
        _preg(follow, event_oid, FOLLOW_INFUSED - day)
        _contraception(follow, event_oid, FOLLOW_INFUSED - day)
    _disease_course(follow, screening=False)
    # 01-S009 (01-002): infused half a year ago, followed to month 3; month 6 is in its window, partly entered
    _month6(month6, password)
    # 01-S010 (01-003): enrolled, cells collected, withdrew consent before lymphodepletion
    _withdrawal(withdrawn, password)
    # 01-S005 (01-004): infused 15 days ago, in the DLT window, early follow-up with a CRS episode
    _consent(infused, 50)
    _dm(infused, "M", "1985-02-14")
    _screening(infused, 48)
    _enrol(infused, password, confirmed=42, on=40)
    _treat(infused, collected=30, ld1=20, infusion=15)
    for n in range(1, 4):
        _vitals(infused, f"SE.D{n}", 15 - n, **{"I.VS.TEMP": "38.4" if n == 1 else "37.2"})
    _crs_episode(infused)
    # 01-S006 (01-005): enrolled, cells collected 3 days ago, waiting for lymphodepletion
    _consent(waiting, 20)
    _dm(waiting, "M", "1999-09-09")
    _screening(waiting, 18)
    _enrol(waiting, password, confirmed=12, on=10)
    _save(waiting, "SE.LEUKAPHERESIS", "F.LEUK", {
        "I.LEUK.TYPE": "LEUKAPHERESIS", "I.LEUK.STDTC": f"{_days_ago(3)}T09:00",
        "I.LEUK.ENDTC": f"{_days_ago(3)}T12:30",
        "I.LEUK.TNC": "4.8", "I.LEUK.COMPL": "false"})
    # 01-S008: screening complete, confirmed eligible 2 days ago by the investigator, waiting to be enrolled
    _consent(eligible, 16)
    _dm(eligible, "M", "1979-06-21")
    _complete_screening(eligible, 14, confirmed=2, sex="M", weight="71", height="176")
    _confirm(eligible, password, 2)
    _counts_and_steroids(follow, infused)


def _contraception(subject, event_oid: str, days_ago: int) -> None:
    _save(subject, event_oid, "F.CONTRA", {"I.CONTRA.DAT": _days_ago(days_ago), "I.CONTRA.AGREE": "true",
                                           "I.CONTRA.USE": "true", "I.CONTRA.METHOD": "IUD"})


#: 01-S009's infusion, days ago: month 6 (day 180) was 8 days ago, inside its window of 14 days
MONTH6_INFUSED = 188


def _month6(subject, password: str) -> None:
    """A postmenopausal woman of 56 (not of childbearing potential), screening complete and confirmed eligible,
    infused at dose level 1 after the sentinel period; vital signs and counts through day 28, months 2 and 3 with
    disease activity falling; at month 6 (in its window) vital signs and counts entered, the rest to do."""
    infused = MONTH6_INFUSED
    _consent(subject, infused + 34)
    _dm(subject, "F", "1970-01-15", **{"I.DM.MENARCHE": "true", "I.DM.STERIL": "false", "I.DM.POSTMENO": "true"})
    _complete_screening(subject, infused + 32, sex="F", weight="64", height="160")
    _enrol(subject, password, confirmed=infused + 27, on=infused + 26)
    _treat(subject, collected=infused + 20, ld1=infused + 5, infusion=infused)
    for event_oid, day in (*((f"SE.D{d}", d) for d in (1, 2, 3, 4, 5, 6, 7, 14)), ("SE.D21", 21), ("SE.D28", 28),
                           ("SE.M2", 60), ("SE.M3", 90), ("SE.M6", 180)):
        _vitals(subject, event_oid, infused - day, **{"I.VS.WEIGHT": "63"})
        if day >= 28:
            _hem(subject, event_oid, infused - day, "1.9", "150")
    for event_oid, day, present, pga in (("SE.M2", 60, ("proteinuria", "low_complement"), "0.9"),
                                          ("SE.M3", 90, ("low_complement",), "0.5")):
        on = _days_ago(infused - day)
        _save(subject, event_oid, "F.SLEDAI", {
            "I.SLEDAI.DAT": on, "I.SLEDAI.LOOKBACK": "10",
            **{f"I.SLEDAI.{d.upper()}": str(d in present).lower() for d in _SLEDAI_IDS}})
        _save(subject, event_oid, "F.PGA", {"I.PGA.DAT": on, "I.PGA.SCORE": pga})


def _withdrawal(subject, password: str) -> None:
    """A man of 41: screening, confirmation and enrolment, leukapheresis 58 days ago; he withdrew his consent 50
    days ago, before lymphodepletion (never infused): the end-of-study form and the withdrawal of all consent."""
    _consent(subject, 75)
    _dm(subject, "M", "1984-08-03")
    _screening(subject, 73)
    _enrol(subject, password, confirmed=66, on=65)
    _save(subject, "SE.LEUKAPHERESIS", "F.LEUK", {
        "I.LEUK.TYPE": "LEUKAPHERESIS", "I.LEUK.STDTC": f"{_days_ago(58)}T09:00",
        "I.LEUK.ENDTC": f"{_days_ago(58)}T12:45", "I.LEUK.TNC": "5.2", "I.LEUK.COMPL": "false"})
    _save(subject, "SE.EOS", "F.EOS", {"I.EOS.STATUS": "EARLY", "I.EOS.DAT": _days_ago(50),
                                           "I.EOS.REASON": "WITHDRAWAL BY SUBJECT", "I.EOS.LTFUCONT": "false"})
    consent.withdraw(db.session, subject, "ALL", date.today() - timedelta(days=50),
                     "Withdrew before lymphodepletion for family reasons; no further data collected.")


def _hem(subject, event_oid: str, days_ago: int, neut: str, plat: str, marked: bool = True) -> None:
    _save(subject, event_oid, "F.HEM", {"I.HEM.DTC": f"{_days_ago(days_ago)}T07:30", "I.HEM.WBC": "3.1",
                                        "I.HEM.NEUT": neut, "I.HEM.LYM": "0.6", "I.HEM.HGB": "112", "I.HEM.PLAT": plat,
                                        "I.HEM.CLSIG": "false"}, marked=marked)


def _counts_and_steroids(follow, infused) -> None:
    """Blood counts after infusion (ICAHT on the casebook page) and the glucocorticoid taper with the stop of
    mycophenolate (01-S004, infused a year ago); early neutropenia for 01-S005 (infused 15 days ago)."""
    for event_oid, day, neut, plat in (("SE.D1", 1, "0.42", "88"), ("SE.D2", 2, "0.31", "61"),
                                       ("SE.D3", 3, "0.28", "47"), ("SE.D7", 7, "0.9", "74"),
                                       ("SE.D28", 28, "1.6", "121"), ("SE.M2", 60, "1.4", "133"),
                                       ("SE.M3", 90, "1.3", "140"), ("SE.M6", 180, "2.1", "162"),
                                       ("SE.M9", 270, "2.6", "171"), ("SE.M12", 365, "2.9", "180")):
        _hem(follow, event_oid, FOLLOW_INFUSED - day, neut, plat)
    for n, neut in enumerate(("0.35", "0.12", "0.08"), start=1):
        _hem(infused, f"SE.D{n}", 15 - n, neut, "52", marked=n < 3)  # day 3's flags wait for the coordinator
    # prednisolone tapered from 20 mg/day at screening to none from month 9 (days relative to the infusion)
    for repeat, (start, end, dose) in enumerate(TAPER, start=1):
        _save(follow, "SE.SUBJECT", "F.CM", {
            "I.CM.TRT": "prednisolone", "I.CM.CAT": "SLE", "I.CM.INDC": "SLE", "I.CM.GCDRUG": "prednisolone",
            "I.CM.DOSE": dose, "I.CM.DOSU": "mg", "I.CM.DOSFRQ": "QD", "I.CM.ROUTE": "ORAL",
            "I.CM.STDAT": _days_ago(FOLLOW_INFUSED - start), "I.CM.ONGO": "N",
            "I.CM.ENDAT": _days_ago(FOLLOW_INFUSED - end)}, repeat)


# -- a year after the infusion: disease activity, B cells and CAR-T cells (01-S004) ---------------------------------

FOLLOW_INFUSED = 380  # days ago: month 12 (day 365) was 15 days ago
#: prednisolone (first day, last day relative to the infusion, mg/day), tapered to none from month 9
TAPER = ((-30, 27, "20"), (28, 59, "10"), (60, 179, "5"), (180, 269, "2.5"))
FOLLOW_MONTHS = (("SE.D28", 28), ("SE.M2", 60), ("SE.M3", 90), ("SE.M6", 180), ("SE.M9", 270), ("SE.M12", 365))
#: study day -> (SLEDAI-2K descriptors present, PGA, BILAG grades of the renal, mucocutaneous and musculoskeletal
#: domains (the others E), anti-dsDNA IU/mL, C3 g/L, C4 g/L, IgG g/L, urine protein/creatinine mg/mg)
DISEASE = {
    -30: (("arthritis", "rash", "proteinuria", "low_complement", "increased_dna_binding"), "2.2", "ABB",
          "240", "0.52", "0.06", "9.8", "1.80"),
    28: (("rash", "proteinuria", "low_complement", "increased_dna_binding"), "1.4", "BCC",
         "150", "0.62", "0.08", "7.5", "1.10"),
    60: (("proteinuria", "low_complement"), "0.8", "CDD", "90", "0.70", "0.11", "6.2", "0.62"),
    90: (("low_complement",), "0.4", "DDD", "40", "0.84", "0.13", "5.8", "0.31"),
    180: ((), "0.2", "DDD", "20", "0.95", "0.18", "6.0", "0.18"),
    270: ((), "0.1", "DDD", "12", "0.98", "0.20", "6.8", "0.15"),
    365: ((), "0.1", "DDD", "10", "1.02", "0.22", "7.4", "0.12"),
}
#: study day -> (CAR transgene copies/µg DNA, or None below the limit of quantification; CD19+ B cells/µL)
KINETICS = {-30: (None, "182"), 4: ("3200", "41"), 7: ("82000", "0"), 10: ("54000", "0"), 14: ("21000", "0"),
            21: ("9000", "0"), 28: ("4200", "0"), 60: ("900", "0.2"), 90: ("310", "0.5"), 180: ("40", "1.2"),
            270: (None, "35"), 365: (None, "88")}
_BILAG_DOMAINS = ("CONSTITUTIONAL", "MUCOCUTANEOUS", "NEUROPSYCHIATRIC", "MUSCULOSKELETAL", "CARDIORESPIRATORY",
                  "GASTROINTESTINAL", "OPHTHALMIC", "RENAL", "HAEMATOLOGICAL")


def _event_on(day: int) -> str:
    return "SE.SCREENING" if day < 0 else dict((d, e) for e, d in FOLLOW_MONTHS).get(day, f"SE.D{day}")


_SLEDAI_IDS = tuple(d.id for d in sledai.DESCRIPTORS)


def _disease_course(subject, screening: bool) -> None:
    """SLEDAI-2K 14 at screening (nephritis, arthritis, rash, serology) to 2 at month 3 (low complement only:
    clinical SLEDAI 0) and 0 from month 6, with PGA 0.4 and prednisolone 5 mg/day at month 3: DORIS remission and
    LLDAS from day 90; CAR-T expansion peaking on day 7, B-cell aplasia from day 7 and recovery at month 9; a
    grade 1 CRS on day 1 with its adverse event. ``screening``: the screening visit's part, else the rest."""
    for day, (present, pga, bilag, dsdna, c3, c4, igg, upcr) in DISEASE.items():
        if (day < 0) != screening:
            continue
        event_oid, on = _event_on(day), _days_ago(FOLLOW_INFUSED - day)
        _save(subject, event_oid, "F.SLEDAI", {
            "I.SLEDAI.DAT": on, "I.SLEDAI.LOOKBACK": "10",
            **{f"I.SLEDAI.{d.id.upper()}": str(d.id in present).lower() for d in sledai.DESCRIPTORS}})
        _save(subject, event_oid, "F.PGA", {"I.PGA.DAT": on, "I.PGA.SCORE": pga})
        grades = dict(zip(("RENAL", "MUCOCUTANEOUS", "MUSCULOSKELETAL"), bilag, strict=True))
        _save(subject, event_oid, "F.BILAG", {"I.BILAG.DAT": on, "I.BILAG.HAEMOLYSIS": "false",
                                              **{f"I.BILAG.{d}": grades.get(d, "E") for d in _BILAG_DOMAINS}})
        _save(subject, event_oid, "F.IMMUNO", {
            "I.IMMUNO.DTC": f"{on}T08:00", "I.IMMUNO.DSDNA": dsdna, "I.IMMUNO.DSDNAU": "IU/mL",
            "I.IMMUNO.DSDNAULN": "30", "I.IMMUNO.DSDNAMTH": "CLIA", "I.IMMUNO.C3": c3, "I.IMMUNO.C3LLN": "0.90",
            "I.IMMUNO.C4": c4, "I.IMMUNO.C4LLN": "0.10", "I.IMMUNO.IGG": igg})
        if day != 28:  # urinalysis is a screening and monthly test
            _save(subject, event_oid, "F.UA", {"I.UA.DTC": f"{on}T08:00", "I.UA.RBC": "2", "I.UA.WBC": "3",
                                               "I.UA.CASTS": "false", "I.UA.UPCR": upcr, "I.UA.CLSIG": "false"})
    for event_oid, day in (("SE.SCREENING", -30), ("SE.D28", 28), *FOLLOW_MONTHS):
        if (day < 0) != screening:
            continue
        dose = next((d for start, end, d in TAPER if start <= day <= end), None)
        _save(subject, event_oid, "F.GCIS", {
            "I.GCIS.DAT": _days_ago(FOLLOW_INFUSED - day), "I.GCIS.GCYN": "true" if dose else "false",
            **({"I.GCIS.GCDRUG": "prednisolone", "I.GCIS.GCDOSE": dose} if dose else {}), "I.GCIS.HCQ": "true",
            # mycophenolate until lymphodepletion, never restarted
            "I.GCIS.ISYN": "true" if day < 0 else "false", **({"I.GCIS.MMF": "true"} if day < 0 else {})})
    if screening:
        return
    for day, (copies, cd19) in KINETICS.items():
        if day < 0:
            continue  # no CAR-T kinetics form at screening
        on = _days_ago(FOLLOW_INFUSED - day)
        _save(subject, _event_on(day), "F.CARTPK", {
            "I.CARTPK.DTC": f"{on}T08:00", "I.CARTPK.CD19ABS": cd19,
            # below the limit of quantification: 0 copies, as the CRF asks, with the flag
            **({"I.CARTPK.QPCR": copies} if copies else {"I.CARTPK.QPCR": "0", "I.CARTPK.QPCRBLQ": "true"})})
    # a grade 1 CRS on day 1 (fever alone), resolved by day 2: its adverse event, then the assessments
    crs = {"I.CRS.FEVEROTH": "false", "I.CRS.ANTIPYR": "false", "I.CRS.HYPOTYN": "false", "I.CRS.VASOCNT": "0",
           "I.CRS.VASOPRSN": "false", "I.CRS.O2DEV": "none", "I.CRS.DEATH": "false", "I.CRS.AENO": "1"}
    onset = _days_ago(FOLLOW_INFUSED - 1)
    _save(subject, "SE.SUBJECT", "F.AE", {
        "I.AE.TERM": "Cytokine release syndrome", "I.AE.STDAT": onset, "I.AE.STDTC": f"{onset}T15:30",
        "I.AE.ONGO": "N", "I.AE.ENDAT": _days_ago(FOLLOW_INFUSED - 2), "I.AE.TOXGR": "1", "I.AE.SER": "N",
        "I.AE.RELCART": "RELATED", "I.AE.RELLD": "NOT RELATED", "I.AE.ACN": "NOT APPLICABLE",
        "I.AE.OUT": "RECOVERED/RESOLVED", "I.AE.DLT": "false", "I.AE.AESI": "true", "I.AE.AESITYP": "CRS"})
    for day, temp in ((1, "38.3"), (2, "37.2")):
        _save(subject, f"SE.D{day}", "F.CRS", {**crs, "I.CRS.DTC": f"{_days_ago(FOLLOW_INFUSED - day)}T16:00",
                                               "I.CRS.TEMP": temp, "I.CRS.SBPMIN": "112"})


# -- the safety story: an SAE with its reports (ecrf.safety) ---------------------------------------------------------

def _safety() -> None:
    """01-S005: febrile neutropenia on day 5, serious (hospitalised), expected for lymphodepletion and CAR-T cells;
    the initial report went to the sponsor within the 24 hours; new information six days ago asks for a follow-up
    report, still open on the SAE list."""
    infused = _subject("01-S005")
    onset = _days_ago(10)
    _save(infused, "SE.SUBJECT", "F.AE", {
        "I.AE.TERM": "Febrile neutropenia", "I.AE.STDAT": onset, "I.AE.STDTC": f"{onset}T03:40", "I.AE.ONGO": "N",
        "I.AE.ENDAT": _days_ago(7), "I.AE.TOXGR": "3", "I.AE.SER": "Y", "I.AE.SHOSP": "Y",
        "I.AE.AWAREDTC": f"{onset}T06:15", "I.AE.RPTDTC": f"{onset}T18:30", "I.AE.EXPECT": "EXPECTED",
        "I.AE.NEWINFODTC": f"{_days_ago(6)}T10:00", "I.AE.RELCART": "POSSIBLY RELATED",
        "I.AE.RELLD": "PROBABLY RELATED", "I.AE.ACN": "NOT APPLICABLE", "I.AE.OUT": "RECOVERED/RESOLVED",
        "I.AE.DLT": "false", "I.AE.AESI": "true", "I.AE.AESITYP": "ICAHT"}, 3)  # after the CRS and ICANS events
    _save(infused, "SE.SUBJECT", "F.SAERPT", {"I.SAERPT.AENO": "3", "I.SAERPT.TYPE": "INITIAL",
                                              "I.SAERPT.SENTDTC": f"{onset}T18:30", "I.SAERPT.RECIP": "SPONSOR",
                                              "I.SAERPT.REF": "SAE-2026-001"})


# -- the monitoring story: queries, source data verification, signatures, freeze and lock ---------------------------

def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    set_actor(db.session, Actor.of(user))
    return user


def _subject(key: str) -> Subject:
    return db.session.scalar(select(Subject).where(Subject.key == key))


def _raise(subject, event_oid: str, form_oid: str, item_oid: str, text: str, by: str):
    return raise_query(db.session, capture.resolve(subject, event_oid, form_oid, 1, 1), item_oid, text, _user(by))


def _step(query, name: str, text: str, by: str) -> None:
    step(db.session, query, name, text, _user(by))


def _verify(subject, event_oid: str, form_oid: str) -> None:
    target = capture.resolve(subject, event_oid, form_oid, 1, 1)
    verify_form(db.session, capture.find_form(db.session, target), subject, target.form, _user("monitor"))


def _sign(subject, scope: Scope, meaning_no: int, password: str) -> None:
    sign(db.session, _user("investigator"), subject, scope, current_app.config["SIGNATURE_MEANINGS"][meaning_no],
         meanings=current_app.config["SIGNATURE_MEANINGS"], password=password, despite_missing=True)


def _monitoring(site, password: str) -> None:
    follow, infused, waiting = _subject("01-S004"), _subject("01-S005"), _subject("01-S006")
    _queries(follow)
    _system_query(infused)
    _sdv(follow)
    # 01-S006: the investigator approves the casebook as it stands (a valid signature)
    _sign(waiting, Scope.casebook(), 0, password)
    # 01-S005: the investigator reviews day 1; a later correction breaks that signature (re-signing asked)
    _sign(infused, Scope.visit("SE.D1"), 2, password)
    _correct(infused, "SE.D1", "F.VS", {"I.VS.RESP": "18"}, _user("coordinator"), "SOURCE_UPDATED",
             "The nurse's chart was completed after the visit.")
    _freeze_and_lock(follow)


def _queries(follow) -> None:
    """01-S004: one query in each state, on its vital signs and demographics."""
    # Open: the month-2 heart rate
    _raise(follow, "SE.M2", "F.VS", "I.VS.HR", "The heart rate reads 78; the nursing chart says 87. Please check.",
           "monitor")
    # Answered: the day-1 temperature, confirmed by the site (waiting for the monitor to close it)
    query = _raise(follow, "SE.D1", "F.VS", "I.VS.TEMP", "Please confirm the temperature against the source.",
                   "monitor")
    _step(query, "answer", "Confirmed against the observation chart: 36.7 °C.", "coordinator")
    # Closed: the day-2 systolic pressure, corrected by the site in answer (the change answers it), then closed
    query = _raise(follow, "SE.D2", "F.VS", "I.VS.SYSBP", "The source shows a systolic pressure of 118.", "monitor")
    _correct(follow, "SE.D2", "F.VS", {"I.VS.SYSBP": "118"}, _user("coordinator"), "QUERY", "Corrected to 118.")
    _step(query, "close", "Corrected as per source: thank you.", "monitor")
    # Cancelled: a data manager's query raised on the wrong item
    query = _raise(follow, "SE.SUBJECT", "F.DM", "I.DM.ETHNIC", "Ethnicity is not reported: is this intended?",
                   "data_manager")
    _step(query, "cancel", "Raised in error: not reporting ethnicity is allowed by the protocol.", "data_manager")
    # Re-opened: the site's answer to the month-2 weight did not satisfy the monitor
    query = _raise(follow, "SE.M2", "F.VS", "I.VS.WEIGHT", "The weight is unchanged since screening: re-weighed?",
                   "monitor")
    _step(query, "answer", "Yes, the weight is stable.", "coordinator")
    _step(query, "reopen", "Please attach the scale printout or note the source page.", "monitor")


def _system_query(infused) -> None:
    """01-S005: a day-4 temperature of 34.6 °C is stored and the plausibility check opens a system query."""
    _user("coordinator")
    _vitals(infused, "SE.D4", 11, **{"I.VS.TEMP": "34.6"})


def _sdv(follow) -> None:
    """01-S004: the monitor verifies consent, demographics, screening vital signs, lymphodepletion and infusion; the
    rest waits. A correction after verification leaves the infusion start "changed since verification"."""
    for event_oid, form_oid in (("SE.SUBJECT", "F.IC"), ("SE.SUBJECT", "F.DM"), ("SE.SCREENING", "F.VS"),
                                ("SE.LD1", "F.LD"), ("SE.D0", "F.INF")):
        _verify(follow, event_oid, form_oid)
    start = _days_ago(FOLLOW_INFUSED)
    _correct(follow, "SE.D0", "F.INF", {"I.INF.STDTC": f"{start}T10:02"}, _user("coordinator"), "SOURCE_UPDATED",
             "The infusion record gives 10:02 as the start.")


def _freeze_and_lock(follow) -> None:
    """01-S004: screening vital signs verified and clean, locked; the casebook up to day 28 frozen for review."""
    manager = _user("data_manager")
    locks.close(db.session, manager, scope="form", level="locked", subject=follow, event_oid="SE.SCREENING",
                form_oid="F.VS", reason="Screening vital signs verified against source, no open query.")
    locks.close(db.session, manager, scope="subject", level="frozen", subject=follow, up_to_event_oid="SE.D28",
                reason="Dose level 1 safety review: data up to day 28 frozen for the review committee.")
