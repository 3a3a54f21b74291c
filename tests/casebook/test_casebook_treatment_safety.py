"""The subject's casebook page shows the haematotoxicity (ICAHT) summary and the glucocorticoid and
immunosuppressant table, computed by ecrf.safety.haematotoxicity and ecrf.treatment.steroid_course."""
from __future__ import annotations

from cell_therapy import day, infused
from helpers import enrolled_subject, new_subject, save


def _hem(neut: str, plat: str, on: int) -> dict:
    return {"I.HEM.DTC": f"{day(on)}T08:00", "I.HEM.WBC": "2.1", "I.HEM.NEUT": neut, "I.HEM.LYM": "0.4",
            "I.HEM.HGB": "105", "I.HEM.PLAT": plat, "I.HEM.CLSIG": "false"}


def _keys(app):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        waiting = new_subject(db.session).key
        subject = enrolled_subject(db.session)
        infused(db.session, subject, on=-10)
        for n in range(1, 4):
            save(db.session, subject, "F.HEM", _hem("0.05", "15", -10 + n), event_oid=f"SE.D{n}")
        save(db.session, subject, "F.GCIS", {"I.GCIS.DAT": day(-3), "I.GCIS.GCYN": "true",
                                            "I.GCIS.GCDRUG": "prednisone", "I.GCIS.GCDOSE": "15",
                                            "I.GCIS.ISYN": "true", "I.GCIS.MMF": "true"}, event_oid="SE.M2")
        infused_key = subject.key
        db.session.remove()
    return waiting, infused_key


def test_the_casebook_shows_icaht_and_the_steroid_table(app, as_role):
    waiting, infused_key = _keys(app)
    browser = as_role("monitor")
    page = browser.get(f"/subjects/{waiting}").get_data(as_text=True)
    assert 'data-testid="icaht"' in page and "cannot grade: no CAR-T infusion recorded yet" in page
    assert "No glucocorticoid or immunosuppressant recorded" in page
    page = browser.get(f"/subjects/{infused_key}").get_data(as_text=True)
    # days 1-3 counted, and the day-3 count stands to day 10: 10 days at or below 100/µL, below 20 x10^9/L
    assert "Neutrophils (N-ICAHT), early (day 0-30)" in page
    assert "grade 4 (ANC ≤500/µL on 10 d, ANC ≤100/µL on 10 d); provisional" in page
    assert "grade 3 (platelets &lt;50 x10^9/L on 10 d, platelets &lt;20 x10^9/L on 10 d)" in page
    assert "cannot grade: no neutrophil count after day 30" in page
    assert page.count('data-testid="steroid-row"') == 1
    assert "Mycophenolate mofetil (MMF)" in page and "0.25" in page  # 15 mg / 60 kg
