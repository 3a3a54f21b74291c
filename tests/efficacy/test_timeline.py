"""Efficacy per visit from data stored through capture: SLEDAI-2K, clinical SLEDAI, PGA, prednisone, BILAG, and
DORIS, LLDAS and SRI-4 against baseline with their reasons; the B-cell course and CAR-T kinetics; statements."""
from __future__ import annotations

from course import efficacy_visit, treated_subject, worked_case
from helpers import statements
from sqlalchemy import select

from ecrf.efficacy.timeline import cohort_efficacy, subject_efficacy
from ecrf.subjects.models import Subject


def _visits(result):
    return {v.event_oid: v for v in result.visits}


def test_the_worked_case_visit_by_visit(session, world):
    subject, day0 = worked_case(session)
    result = subject_efficacy(session, subject)
    assert result.infusion == day0
    visits = _visits(result)
    assert list(visits) == ["SE.SCREENING", "SE.D28", "SE.M2", "SE.M3", "SE.M6"]
    base, d28, m2, m3, m6 = visits.values()
    assert (base.study_day, base.sledai, base.csledai, base.pga, base.prednisone_mg) == (-60, 14, 10, 2.0, 20.0)
    assert base.bilag["renal"] == "A" and len(base.bilag) == 9
    assert base.antimalarial is True and base.immunosuppressants == ["Mycophenolate mofetil (MMF)"]
    assert base.doris.met is False
    assert base.doris.reason == ("clinical SLEDAI 10 (needs 0); PGA 2 (needs below 0.5); "
                                 "prednisone-equivalent 20 mg/day (needs 5 or less)")
    assert base.lldas.met is None
    assert base.lldas.reason == "cannot assess: a previous SLEDAI-2K assessment (new activity)"
    assert base.sri4.met is None and "baseline" in base.sri4.reason
    # day 28: serology only (SLEDAI-2K 4, clinical 0), PGA exactly 0.5, prednisolone exactly 7.5
    assert (d28.study_day, d28.sledai, d28.csledai, d28.pga, d28.prednisone_mg) == (28, 4, 0, 0.5, 7.5)
    assert d28.doris.met is False
    assert d28.doris.reason == "PGA 0.5 (needs below 0.5); prednisone-equivalent 7.5 mg/day (needs 5 or less)"
    assert (d28.lldas.met, d28.lldas.reason) == (True, "met")
    assert (d28.sri4.met, d28.sri4.reason) == (True, "met")
    # month 2: prednisone exactly 5, PGA 0.4: remission
    assert (m2.doris.met, m2.lldas.met, m2.sri4.met) == (True, True, True)
    # month 3: a flare: SLEDAI-2K 10 (reduction exactly 4), PGA up exactly 0.3, two new BILAG B
    assert (m3.sledai, m3.prednisone_mg) == (10, 5.0)  # methylprednisolone 4 mg = prednisone 5 mg
    assert m3.doris.met is False and m3.doris.reason == "clinical SLEDAI 10 (needs 0); PGA 2.3 (needs below 0.5)"
    assert m3.sri4.met is False
    assert m3.sri4.reason == "2 new BILAG B (1 at most); PGA 2 at baseline, 2.3 now: rise 0.3 (needs below 0.3)"
    assert m3.lldas.met is False
    assert m3.lldas.reason == ("SLEDAI-2K 10 (needs 4 or less); major organ activity: Proteinuria; "
                               "gastrointestinal activity (BILAG B); new activity since Month 2: Arthritis, "
                               "Proteinuria, Rash; PGA 2.3 (needs 1 or less)")
    # month 6: no glucocorticoid record: not assessable, said by label
    assert m6.doris.met is None and m6.doris.reason == "cannot assess: Prednisone-equivalent dose"
    assert m6.sri4.met is True  # SRI-4 does not need the glucocorticoid dose
    assert result.first_doris_day == 60 and result.first_lldas_day == 28


def test_the_worked_case_b_cells_and_car_t(session, world):
    subject, _ = worked_case(session)
    result = subject_efficacy(session, subject)
    bcell, cart = result.bcell, result.cart
    assert (bcell.aplasia_day, bcell.recovery_day, bcell.duration_days, bcell.ongoing) == (7, 180, 173, False)
    assert bcell.values[0] == (7, 0.0) and bcell.values[-1] == (180, 10.0)
    assert (cart.peak, cart.peak_day, cart.last_detectable_day) == (45000.0, 10, 90)
    assert cart.persistence == {"M3": True, "M6": False, "M12": None}
    assert [d for d, _ in cart.values] == [7, 10, 14, 28, 60, 90, 180]


def test_sri4_reduction_of_3_and_a_new_bilag_a_against_baseline(session, world):
    subject, day0, fill = treated_subject(session)
    from datetime import timedelta

    from course import bilag

    efficacy_visit(fill, "SE.SCREENING", day0 - timedelta(days=60), present=("arthritis", "rash", "fever", "alopecia"),
                   pga="1.0", grades=bilag(musculoskeletal="B"))  # SLEDAI-2K 9
    efficacy_visit(fill, "SE.D28", day0 + timedelta(days=28), present=("arthritis", "rash"), pga="1.2",
                   grades=bilag(musculoskeletal="A"))  # 6: a reduction of 3; B -> A is a new A
    efficacy_visit(fill, "SE.M2", day0 + timedelta(days=60), present=("rash",), pga="1.2",
                   grades=bilag(musculoskeletal="C"))  # 2: a reduction of 7
    session.commit()
    visits = _visits(subject_efficacy(session, subject))
    assert visits["SE.D28"].sri4.met is False
    assert visits["SE.D28"].sri4.reason == ("SLEDAI-2K 9 at baseline, 6 now: reduction 3 (needs 4 or more); "
                                            "1 new BILAG A")
    assert (visits["SE.M2"].sri4.met, visits["SE.M2"].sri4.reason) == (True, "met")  # PGA +0.2
    # no glucocorticoid taken: 0 mg/day, so only the SLEDAI and the PGA fail
    assert visits["SE.M2"].doris.reason == "clinical SLEDAI 2 (needs 0); PGA 1.2 (needs below 0.5)"


def test_missing_forms_are_named_by_label(session, world):
    subject, day0, fill = treated_subject(session)
    from datetime import timedelta

    efficacy_visit(fill, "SE.SCREENING", day0 - timedelta(days=60), present=("arthritis",), pga=None,
                   grades=None, skip=("F.GCIS",))
    efficacy_visit(fill, "SE.D28", day0 + timedelta(days=28), present=(), pga="0.1", grades=None)
    session.commit()
    visits = _visits(subject_efficacy(session, subject))
    d28 = visits["SE.D28"]
    assert d28.sri4.reason == ("cannot assess: baseline Physician global assessment of disease activity, "
                               "baseline BILAG-2004 (all nine domains), BILAG-2004 (all nine domains)")
    assert d28.lldas.reason == ("cannot assess: Gastrointestinal, Autoimmune haemolytic anaemia at present")
    assert (d28.doris.met, d28.doris.reason) == (True, "met")
    assert "I." not in d28.sri4.reason and "F." not in d28.lldas.reason


def test_no_infusion_no_study_day(session, world):
    from helpers import new_subject, save, sledai_values

    subject = new_subject(session)
    save(session, subject, "F.SLEDAI", sledai_values("rash", **{"I.SLEDAI.DAT": "2026-11-02"}))
    result = subject_efficacy(session, subject)
    assert result.infusion is None and result.visits[0].study_day is None and result.visits[0].sledai == 2
    assert result.bcell.aplasia_day is None and result.cart.peak is None and result.first_doris_day is None


def test_cohort_statement_count_does_not_grow_with_subjects_or_visits(session, world):
    def count() -> tuple[int, dict]:
        session.expunge_all()
        subjects = session.scalars(select(Subject)).all()
        with statements(session) as seen:
            result = cohort_efficacy(session, subjects)
        return len(seen), result

    worked_case(session)
    one, result = count()
    assert len(result) == 1 and one == 1
    worked_case(session, later=15)
    worked_case(session, "02", later=16)
    three, result = count()
    assert three == one and len(result) == 3
    assert all(r.first_doris_day == 60 for r in result.values())
    assert cohort_efficacy(session, []) == {}
