"""The charts from plain data: what the series functions compute from stored values (study days from the site's
date, episodes, treatment changes, units), and what the drawings show once rendered as SVG (parsed back as XML):
every point, the infusion, the episodes with their grades, the limit, escaped labels, no style or script."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from ecrf.charts import axes, draw, figures, svg, swimmer
from ecrf.charts.data import (
    BCELL_RECOVERY,
    CRS,
    DORIS,
    GC_RESTARTED,
    GC_STOPPED,
    ICANS,
    IS_RESTARTED,
    IS_STOPPED,
    LLDAS,
    MARKER_KINDS,
    Episode,
    Lane,
    Marker,
    Point,
    Reference,
    Series,
)
from ecrf.charts.series import FormRow, subject_charts

NS = "{http://www.w3.org/2000/svg}"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def _infusion(day: str = "2025-03-10T02:00:00Z") -> FormRow:
    return FormRow("F.INF", None, {"I.INF.STDTC": day})


# -- series ---------------------------------------------------------------------------------------------------

def test_study_days_count_from_the_site_local_date_of_the_infusion():
    # 2025-03-09T17:30Z is 2025-03-10 01:30 in Shanghai: day 0 is the 10th there
    rows = [_infusion("2025-03-09T17:30:00Z"),
            FormRow("F.SLEDAI", date(2025, 1, 1), {"I.SLEDAI.DAT": "2025-02-08", "I.SLEDAI.TOTAL": "12"}),
            FormRow("F.SLEDAI", date(2025, 4, 7), {"I.SLEDAI.TOTAL": "4"}),  # no date item: the visit's date
            FormRow("F.IMMUNO", None, {"I.IMMUNO.DTC": "2025-03-10T16:30:00Z", "I.IMMUNO.C3": "0.71",
                                       "I.IMMUNO.C3LLN": "0.9"})]
    charts = subject_charts(rows, SHANGHAI)
    assert charts.infusion == date(2025, 3, 10)
    assert charts.get("sledai").points == (Point(-30, 12.0), Point(28, 4.0))
    c3 = charts.get("c3")
    assert c3.points == (Point(1, 0.71),)  # 16:30Z on the 10th is 00:30 on the 11th in Shanghai: day 1
    assert c3.reference == Reference(0.9, "lower limit of normal 0.9")
    assert c3.title == "Complement C3 (g/L)"
    assert charts.get("sledai").title == "SLEDAI-2K total (points)"


def test_without_an_infusion_nothing_is_dated():
    charts = subject_charts([FormRow("F.PGA", date(2025, 1, 1), {"I.PGA.SCORE": "2"})], SHANGHAI)
    assert charts.infusion is None and all(not s.points for s in charts.series)
    texts = _texts(_parse(svg.to_svg(draw.subject_drawings(charts)[0], "x")))
    assert "No infusion recorded: study days count from it" in texts


def _crs(day: str, grade: int, time: str = "08:00") -> FormRow:
    return FormRow("F.CRS", None, {"I.CRS.DTC": f"{day}T{time}:00Z", "I.CRS.GRADE": str(grade)})


def test_episodes_are_runs_of_assessments_graded_one_or_more_with_their_worst_grade():
    rows = [_infusion(), _crs("2025-03-11", 1), _crs("2025-03-12", 2), _crs("2025-03-12", 1, "20:00"),
            _crs("2025-03-13", 0), _crs("2025-03-15", 1), _crs("2025-03-16", 0),
            FormRow("F.ICANS", None, {"I.ICANS.DTC": "2025-03-14T08:00:00Z", "I.ICANS.GRADE": "3"})]
    charts = subject_charts(rows, ZoneInfo("UTC"))
    assert charts.episodes == (Episode(CRS, 1, 2, 2), Episode(CRS, 5, 5, 1), Episode(ICANS, 4, 4, 3))
    assert charts.worst == {CRS: 2, ICANS: 3}
    assert figures.episode_rows(charts)[0] == (CRS, "days 1 to 2", "grade 2")


def _gcis(day: str, taking: str, predeq: str | None = None, immuno: str = "true") -> FormRow:
    values = {"I.GCIS.DAT": day, "I.GCIS.GCYN": taking, "I.GCIS.ISYN": immuno}
    if predeq:
        values["I.GCIS.GCPREDEQ"] = predeq
    return FormRow("F.GCIS", None, values)


def test_treatment_changes_and_the_dose_of_no_glucocorticoid():
    rows = [_infusion(), _gcis("2025-05-09", "true", "7.5"), _gcis("2025-06-08", "false", immuno="false"),
            _gcis("2025-09-06", "true", "5"), _gcis("2025-12-05", "true", "5", immuno="false")]
    charts = subject_charts(rows, ZoneInfo("UTC"))
    assert [p.value for p in charts.get("prednisone").points] == [7.5, 0.0, 5.0, 5.0]
    assert [(m.day, m.kind) for m in charts.markers] == [(90, GC_STOPPED), (180, GC_RESTARTED), (90, IS_STOPPED),
                                                         (180, IS_RESTARTED), (270, IS_STOPPED)]


def test_anti_dsdna_is_drawn_in_the_unit_of_most_values_and_says_what_it_leaves_out():
    def dna(day, value, unit):
        return FormRow("F.IMMUNO", None, {"I.IMMUNO.DTC": f"{day}T08:00:00Z", "I.IMMUNO.DSDNA": value,
                                          "I.IMMUNO.DSDNAU": unit, "I.IMMUNO.DSDNAULN": "30"})
    rows = [_infusion(), dna("2025-02-01", "120", "IU/mL"), dna("2025-04-07", "45", "IU/mL"),
            dna("2025-06-08", "8", "%")]
    series = subject_charts(rows, ZoneInfo("UTC")).get("dsdna")
    assert series.title == "Anti-dsDNA antibodies (IU/mL)"
    assert [p.value for p in series.points] == [120.0, 45.0]
    assert series.note == "1 value in another unit not shown"
    assert series.reference.value == 30.0


# -- drawings -------------------------------------------------------------------------------------------------

def _series(title="Complement C3 (g/L)", log=False, values=((-30, 0.6), (7, 0.7), (28, 0.8), (90, 1.1))):
    return Series("c3", title, tuple(Point(d, v) for d, v in values), Reference(0.9, "lower limit of normal 0.9"),
                  log)


def test_a_series_renders_as_well_formed_svg_with_every_point_the_infusion_episodes_and_the_limit():
    episodes = (Episode(CRS, 1, 3, 2), Episode(ICANS, 5, 6, 1))
    text = svg.to_svg(draw.series_drawing(_series(), episodes), "Complement C3")
    root = _parse(text)
    assert root.tag == f"{NS}svg" and root.find(f"{NS}title").text == "Complement C3"
    assert len(list(root.iter(f"{NS}circle"))) == 4  # one per value
    assert len(list(root.iter(f"{NS}polyline"))) == 1
    texts = _texts(root)
    assert {"Infusion", "CRS", "ICANS", "G2", "G1", "lower limit of normal 0.9", "1.1 (day 90)",
            draw.DAY_AXIS} <= set(texts)
    assert {"-28", "0", "28", "56", "84"} <= set(texts)  # study-day ticks in 4 weeks, day 0 among them
    assert "Complement C3 (g/L)" in texts


def test_the_svg_is_safe_to_inline():
    title = 'C3 <script>alert("x")</script> & co'
    text = svg.to_svg(draw.series_drawing(_series(title)), title)
    root = _parse(text)
    assert not text.startswith("<?xml") and "<!DOCTYPE" not in text
    assert "<script" not in text and "&lt;script&gt;" in text
    assert title in _texts(root)
    every = list(root.iter())
    assert not any("style" in e.attrib or "id" in e.attrib for e in every)  # CSP: no inline style; no page-wide ids
    assert not any(k.endswith("href") for e in every for k in e.attrib)  # nothing fetched
    assert any(e.get("font-family", "").endswith("sans-serif") for e in every)


def test_a_logarithmic_chart_draws_values_below_the_limit_on_its_floor():
    series = _series("CAR transgene", True, ((1, 0), (7, 5000), (14, 120000), (90, 300)))
    root = _parse(svg.to_svg(draw.series_drawing(series), "x"))
    texts = _texts(root)
    assert {"100", "1,000", "10k", "100k", "1M"} <= set(texts)
    assert any("open circle" in t for t in texts)
    fills = [c.get("fill") for c in root.iter(f"{NS}circle")]
    assert fills.count("rgb(100%,100%,100%)") == 1  # the zero, open


def test_ticks_and_numbers_read_well():
    assert axes.value_ticks(13) == [0, 5, 10, 15]
    assert axes.value_ticks(3) == [0, 1, 2, 3]
    assert axes.day_ticks(-60, 420) == [-60, 0, 60, 120, 180, 240, 300, 360, 420]
    assert axes.day_ticks(0, 28) == [0, 7, 14, 21, 28]
    assert [axes.number(v) for v in (0, 0.25, 12, 1200, 1e4, 1e6)] == ["0", "0.25", "12", "1,200", "10k", "1M"]


# -- the swimmer plot -----------------------------------------------------------------------------------------

def _lanes():
    return [Lane(1, "01-S001", "follow_up", 380, (Marker(1, CRS, "G2", 3), Marker(2, ICANS, "G1", 4),
                                                  Marker(90, GC_STOPPED, "stopped"))),
            Lane(2, "01-S002 <b>", "withdrawn", 60, ())]


def test_the_swimmer_plot_draws_a_lane_per_subject_with_its_markers_and_a_legend():
    root = _parse(svg.to_svg(swimmer.drawing(_lanes()), "Swimmer"))
    texts = _texts(root)
    assert {"01-S001", "01-S002 <b>", "CRS G2", "ICANS G1", MARKER_KINDS[GC_STOPPED], MARKER_KINDS[CRS]} <= set(texts)
    assert MARKER_KINDS[DORIS] not in texts  # a legend of the kinds drawn only


def test_outcome_markers_are_added_with_one_call():
    from ecrf.charts.data import with_markers

    lanes = with_markers(_lanes(), {1: [Marker(180, DORIS, "DORIS"), Marker(None, LLDAS)],
                                    2: [Marker(120, BCELL_RECOVERY), Marker(30, "new_kind", "?")]})
    assert [m.kind for m in lanes[0].markers] == [CRS, ICANS, GC_STOPPED, DORIS]  # the day-less one left out
    assert lanes[1].last_day == 120  # the lane reaches its last marker
    texts = _texts(_parse(svg.to_svg(swimmer.drawing(lanes), "Swimmer")))
    assert {MARKER_KINDS[DORIS], MARKER_KINDS[BCELL_RECOVERY], "new kind"} <= set(texts)


def test_an_empty_cohort_says_so():
    assert "No subject has been infused yet" in _texts(_parse(svg.to_svg(swimmer.drawing([]), "x")))


def test_symbols_on_the_same_day_are_set_side_by_side_so_none_hides_another():
    """DORIS and LLDAS reached at one visit, or B-cell recovery on the day a treatment stopped: every symbol shows."""
    from ecrf.charts import swimmer
    from ecrf.charts.axes import Scale
    from ecrf.charts.data import BCELL_RECOVERY, DORIS, GC_STOPPED, LLDAS, Lane, Marker

    markers = (Marker(90, DORIS, "DORIS"), Marker(90, LLDAS, "LLDAS"), Marker(270, BCELL_RECOVERY),
               Marker(270, GC_STOPPED))
    lane = Lane(1, "01-001", "completed", 365, markers)
    group = swimmer._lane(lane, Scale(60, 500, 0, 100, (0, 365), (0, 1)), 50)
    symbols = group.contents[-len(markers):]  # drawn last, after the label and the bar
    centres = sorted((b[0] + b[2]) / 2 for b in (s.getBounds() for s in symbols))
    assert all(b - a >= swimmer.SYMBOL_GAP - 0.01 for a, b in zip(centres, centres[1:], strict=False)), centres
    # each stays near its day: the second of a pair moves one gap along, no further
    day90, day270 = Scale(60, 500, 0, 100, (0, 365), (0, 1)).x(90), Scale(60, 500, 0, 100, (0, 365), (0, 1)).x(270)
    assert centres[0] == pytest.approx(day90, abs=0.5) and centres[1] == pytest.approx(day90 + swimmer.SYMBOL_GAP,
                                                                                      abs=0.5)
    assert centres[2] == pytest.approx(day270, abs=0.5)
