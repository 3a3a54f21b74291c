"""The chart pages and the casebook's charts for a subject with 12 months of data (tests/populated.py, with CRS
and ICANS episodes and a glucocorticoid stopped added): the SVG on the page, the statements each page reads
(the same for a subject with one visit or 12 months, for 2 subjects or 6), who may see them, and the charts
section of the casebook PDF parsed back with pypdf."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timedelta

import pytest
from helpers import PASSWORD, Browser, new_subject, save, sledai_values
from populated import Populated, populate
from pypdf import PdfReader
from sqlalchemy import event, select

from ecrf.audit.context import Actor, set_actor
from ecrf.auth.models import Site, User
from ecrf.auth.services import create_user
from ecrf.exports import casebook_pdf
from ecrf.exports.kinds import Request, Run
from ecrf.infra.extensions import db
from ecrf.subjects.models import Subject

NS = "{http://www.w3.org/2000/svg}"
CHART_TITLES = ("SLEDAI-2K total (points)", "Physician global assessment (0-3)",
                "Prednisone-equivalent glucocorticoid dose (mg/day)", "Complement C3 (g/L)", "Complement C4 (g/L)",
                "Urine protein/creatinine ratio (mg/mg)", "CD19+ B cells (absolute) (cells/µL)")


@dataclass(frozen=True)
class World:
    app: object
    full: str  # 12 months of data, site 01
    few: str  # consent and one screening form, site 01
    built: Populated
    site2: tuple[str, ...]  # six subjects of site 02 at screening (PGA, SLEDAI-2K)


def _crs(day, temp: str, hypotension: str, sbp: str) -> dict:
    """An assessment from its components (the grade and levels are calculated: ecrf.study.calculators)."""
    return {"I.CRS.DTC": f"{day}T09:00", "I.CRS.TEMP": temp, "I.CRS.FEVEROTH": "false", "I.CRS.ANTIPYR": "false",
            "I.CRS.HYPOTYN": hypotension, "I.CRS.SBPMIN": sbp, "I.CRS.VASOCNT": "0", "I.CRS.O2DEV": "none",
            "I.CRS.DEATH": "false"}


def _episodes(session, subject, day0) -> None:
    """CRS grade 1 on day 1 and grade 2 on day 2, resolved on day 3; ICANS grade 1 on day 4 (ICE 8);
    prednisone 10 mg/day at month 2, none from month 3."""
    reason = {"reason_code": "QUERY", "reason_note": "Re-entered from the toxicity chart."}
    for n, (temp, hypotension, sbp) in enumerate((("38.6", "false", "112"), ("39.1", "true", "84"),
                                                   ("37.0", "false", "116")), 1):
        save(session, subject, "F.CRS", _crs(day0 + timedelta(days=n), temp, hypotension, sbp),
             event_oid=f"SE.D{n}", **reason)
    day4 = day0 + timedelta(days=4)
    save(session, subject, "F.ICANS", {
        "I.ICANS.DTC": f"{day4}T10:00", "I.ICANS.TOOL": "ICE", "I.ICANS.ICEORIENT": "3", "I.ICANS.ICEOBJECTS": "2",
        "I.ICANS.ICECMD": "1", "I.ICANS.ICEWRITE": "1", "I.ICANS.ICEATTN": "1", "I.ICANS.LOC": "normal",
        "I.ICANS.SEIZ": "none", "I.ICANS.MOTOR": "none", "I.ICANS.ICP": "none",
        "I.ICANS.DEATH": "false"}, event_oid="SE.D4", **reason)
    for event_oid, day, taking in (("SE.M2", 60, True), ("SE.M3", 90, False)):
        values = {"I.GCIS.DAT": str(day0 + timedelta(days=day)), "I.GCIS.GCYN": str(taking).lower(),
                  "I.GCIS.ISYN": "false"}
        if taking:
            values |= {"I.GCIS.GCDRUG": "prednisone", "I.GCIS.GCDOSE": "10"}
        save(session, subject, "F.GCIS", values, event_oid=event_oid, **reason)


@pytest.fixture(scope="module")
def world(module_world):
    app = module_world
    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        full = new_subject(db.session, consented=False)
        built = populate(db.session, full, months=12, aes=0, audit_records=0)
        _episodes(db.session, full, built.day0)
        few = new_subject(db.session)
        save(db.session, few, "F.PGA", {"I.PGA.DAT": "2025-11-20", "I.PGA.SCORE": "2"})
        site2 = []
        for n in range(6):
            other = new_subject(db.session, site_code="02")
            save(db.session, other, "F.PGA", {"I.PGA.DAT": "2025-11-20", "I.PGA.SCORE": str(n % 4)})
            save(db.session, other, "F.SLEDAI", sledai_values("arthritis"))
            site2.append(other.key)
        create_user(db.session, "monitor12", "Monitor Of Both", "monitor", ["01", "02"], PASSWORD)
        db.session.commit()
        keys = full.key, few.key
        db.session.remove()
    return World(app, *keys, built, tuple(site2))


def _browser(world, username: str) -> Browser:
    browser = Browser(world.app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def _get(world, browser, url) -> tuple[str, int]:
    """The page and the number of SQL statements it sent."""
    seen = []
    with world.app.app_context():
        engine = db.engine
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = browser.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True), len(seen)


def _svgs(page: str) -> list[ET.Element]:
    out, start = [], 0
    while (start := page.find("<svg", start)) >= 0:
        end = page.index("</svg>", start) + len("</svg>")
        out.append(ET.fromstring(page[start:end]))
        start = end
    return out


def _texts(root) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_a_subject_with_12_months_of_data_has_every_chart_with_its_values_and_episodes(world):
    page, _ = _get(world, _browser(world, "monitor"), f"/subjects/{world.full}/charts")
    charts = _svgs(page)
    assert len(charts) == 10
    titles = [root.find(f"{NS}title").text for root in charts]
    assert set(CHART_TITLES) <= set(titles)
    texts = [set(_texts(root)) for root in charts]
    assert all("Infusion" in t for t in texts)
    assert all({"CRS", "ICANS"} <= t for t in texts)  # the episode strips on every chart
    sledai = charts[titles.index("SLEDAI-2K total (points)")]
    # screening (before day 0), day 28 and months 2, 3, 6, 9, 12
    assert len(list(sledai.iter(f"{NS}circle"))) == 7
    assert f"Study day 0: CAR-T infusion on {world.built.day0}" in page
    assert "days 1 to 2" in page and "grade 2" in page  # the CRS episode, and ICANS grade 1 on day 4
    assert "day 4" in page and "grade 1" in page
    pred = charts[titles.index("Prednisone-equivalent glucocorticoid dose (mg/day)")]
    assert "0 (day 365)" in _texts(pred)


def test_the_subject_page_reads_the_same_statements_for_one_visit_or_12_months(world):
    browser = _browser(world, "coordinator")
    _, few = _get(world, browser, f"/subjects/{world.few}/charts")
    page, full = _get(world, browser, f"/subjects/{world.full}/charts")
    assert page.count("<svg") == 10
    assert few == full, (few, full)


def test_the_cohort_page_reads_the_same_statements_for_2_or_6_subjects(world):
    page1, two = _get(world, _browser(world, "coordinator"), "/charts")
    page2, six = _get(world, _browser(world, "coordinator2"), "/charts")
    page3, eight = _get(world, _browser(world, "monitor12"), "/charts")
    assert page1.count('href="/subjects/') == 2 and page2.count('href="/subjects/') == 6
    assert page3.count('href="/subjects/') == 8
    assert two == six == eight, (two, six, eight)
    swimmer = _svgs(page1)[0]
    assert {"CRS G2", "ICANS G1", "Glucocorticoid stopped"} <= set(_texts(swimmer))
    with world.app.app_context():
        label = db.session.scalar(select(Subject).where(Subject.key == world.full)).label
    assert label in _texts(swimmer)
    assert world.site2[0] not in page1  # site scope
    assert "grade 2" in page1 and "not infused" in page2


def test_the_casebook_links_the_charts_and_the_menu_names_them(world):
    page, _ = _get(world, _browser(world, "sponsor"), f"/subjects/{world.full}")
    assert f'href="/subjects/{world.full}/charts"' in page
    assert 'data-testid="nav-charts"' in page


def test_other_sites_and_administrators_see_no_charts(world):
    coordinator2 = _browser(world, "coordinator2")
    assert coordinator2.get(f"/subjects/{world.full}/charts").status_code == 403
    assert coordinator2.get("/subjects/01-S999/charts").status_code == 404
    admin = _browser(world, "admin")
    assert admin.get("/charts").status_code == 403
    assert admin.get(f"/subjects/{world.full}/charts").status_code == 403


def test_the_casebook_pdf_has_a_charts_section_with_every_chart(world):
    with world.app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        user = db.session.scalar(select(User).where(User.username == "monitor"))
        sites = frozenset(db.session.scalars(select(Site.id).where(Site.code == "01")))
        subject = db.session.scalar(select(Subject).where(Subject.key == world.full))
        request = Request("casebook", user.username, user.full_name, user.role, sites, user.id, subject.key)
        pdf, _ = casebook_pdf.render_unsealed(db.session, request, Run(), subject)
        db.session.remove()
    reader = PdfReader(io.BytesIO(pdf))
    pages = [p.extract_text() for p in reader.pages]
    start = next(n for n, text in enumerate(pages) if "Charts over study day" in text)
    charts = "\n".join(pages[start:start + 4])
    for title in CHART_TITLES:
        assert title in charts, title
    assert f"Study day 0 is the CAR-T infusion, {world.built.day0}" in charts
    assert "Infusion" in charts and "days 1 to 2" in charts
    assert "Charts over study day" in [item.title for item in reader.outline if not isinstance(item, list)]
