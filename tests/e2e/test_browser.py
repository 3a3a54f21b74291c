"""End to end in a real browser (Debian's chromium driven by Playwright): a coordinator logs in, is refused an
SpO2 of 140 % with the range named, then saves the vital signs; the casebook turns the cell green."""
from __future__ import annotations

from helpers import PASSWORD


def test_coordinator_saves_vital_signs_in_a_real_browser(server, page, tmp_path):
    page.goto(f"{server}/login")
    page.fill("#username", "coordinator")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dashboard")  # the site's day is the first screen
    assert page.locator('[data-testid="site-figures"]').is_visible()
    page.click('[data-testid="nav-subjects"]')
    page.wait_for_url(f"{server}/subjects")  # the board names 01-S002 too: click it on the subject list
    page.click('[data-testid="subject-list"] >> text=01-S002')
    page.click('[data-testid="cell-SE.SCREENING-F.HTWT"] a')
    page.fill("#I\\.HTWT\\.DAT", "2026-11-20")
    page.fill("#I\\.HTWT\\.HEIGHT", "139")
    page.fill("#I\\.HTWT\\.WEIGHT", "31")
    page.click('[data-testid="save"]')
    assert "Height and weight saved (complete)" in page.content()
    page.goto(f"{server}/subjects/01-S002/events/SE.SCREENING/forms/F.VS")
    page.fill("#I\\.VS\\.SPO2", "140")
    page.click('[data-testid="save"]')
    error = page.locator('[data-testid="error-I.VS.SPO2"]').inner_text()
    assert "140 is outside the allowed range 50–100 %" in error
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
    page.screenshot(path="/tmp/ecrf-refused.png", full_page=False)
    page.fill("#I\\.VS\\.SPO2", "97")
    page.select_option("#reason_code", "TRANSCRIPTION")
    page.click('[data-testid="save"]')
    assert "Vital signs saved" in page.content()
    page.goto(f"{server}/subjects/01-S002")
    assert "cell-complete" in page.locator('[data-testid="cell-SE.SCREENING-F.VS"]').get_attribute("class")
    page.goto(f"{server}/subjects/01-S002/events/SE.SCREENING/forms/F.VS/items/I.VS.SPO2/audit")
    history = page.locator('[data-testid="audit-table"]').inner_text()
    assert "98 %" in history and "97 %" in history and "Transcription error" in history
