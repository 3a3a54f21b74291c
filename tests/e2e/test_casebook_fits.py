"""The casebook's open phase fits a 1280 x 800 screen (issue 13, item 2), in Debian's chromium: found through the
subject list's filters (a subject in follow-up, one in the DLT window: the 16 columns of days 1-28 are the widest
phase), the open phase's table is no wider than its box, the page does not scroll sideways, the first and last
columns of the open phase are inside the viewport, the header row stays in view when the grid scrolls, and the
closed phases are closed."""
from __future__ import annotations

from helpers import PASSWORD

FITS = """() => {
  const open = [...document.querySelectorAll('details.casebook-phase[open]')];
  const box = open.map(d => d.querySelector('.casebook-scroll')).find(b => b);
  const table = box.querySelector('table');
  const heads = [...table.querySelectorAll('thead th')];
  const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
  return {opened: open.map(d => d.dataset.testid), tableWidth: table.scrollWidth, boxWidth: box.clientWidth,
          boxScroll: box.scrollWidth, pageScroll: document.documentElement.scrollWidth,
          viewport: document.documentElement.clientWidth, first: rect(heads[1]), last: rect(heads[heads.length - 1]),
          columns: heads.length - 1,
          closed: [...document.querySelectorAll('details.casebook-phase:not([open])')].map(d => d.dataset.testid)};
}"""


def _login(page, server):
    page.goto(f"{server}/login")
    page.fill("#username", "coordinator")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dashboard")


def _first_key(page, server, query: str) -> str:
    page.goto(f"{server}/subjects?{query}")
    row = page.locator('[data-testid="subject-list"] tbody tr').first
    return row.get_attribute("data-testid").removeprefix("subject-row-")


def test_the_open_phase_fits_1280_by_800(server, page, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    _login(page, server)
    for query, phase in (("status=dlt_window", "phase-early"), ("status=follow_up", "phase-months")):
        key = _first_key(page, server, query)
        page.goto(f"{server}/subjects/{key}")
        page.locator(f'[data-testid="{phase}"] table').scroll_into_view_if_needed()
        shot = tmp_path / f"casebook-{phase}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000  # a real picture, not a blank page
        m = page.evaluate(FITS)
        assert m["opened"] == [phase], m
        assert len(m["closed"]) >= 3, m  # the other phases (and the subject-level forms) are folded
        assert m["tableWidth"] <= m["boxWidth"] and m["boxScroll"] <= m["boxWidth"], m
        assert m["pageScroll"] <= m["viewport"], m
        assert 0 <= m["first"][0] and m["last"][1] <= 1280, m
        assert m["columns"] >= (16 if phase == "phase-early" else 7), m
        # the header row stays in view while the grid scrolls
        header = page.locator(f'[data-testid="{phase}"] thead th').nth(1)
        top = header.bounding_box()["y"]
        page.locator(f'[data-testid="{phase}"] .casebook-scroll').evaluate("b => b.scrollTop = 200")
        scrolled = page.locator(f'[data-testid="{phase}"] .casebook-scroll').evaluate("b => b.scrollTop")
        if scrolled:
            assert abs(header.bounding_box()["y"] - top) < 2
        page.screenshot(path=f"/tmp/ecrf-casebook-{phase}.png")
