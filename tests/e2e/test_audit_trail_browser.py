"""The audit trail in a real browser at 1280 x 800: a correction reads as label, full name and decoded old -> new
values, and the page does not scroll sideways (long values wrap or fold)."""
from __future__ import annotations

from helpers import PASSWORD


def test_a_correction_reads_as_on_the_form_and_the_trail_fits_1280_px(server, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/login")
    page.fill("#username", "coordinator")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dashboard")
    page.goto(f"{server}/subjects/01-S002/events/SE.SCREENING/forms/F.VS")
    page.fill("#I\\.VS\\.SPO2", "97")
    page.select_option("#reason_code", "TRANSCRIPTION")
    page.click('[data-testid="save"]')
    assert "Vital signs saved" in page.content()
    page.goto(f"{server}/subjects/01-S002/audit?item=I.VS.SPO2&action=update")
    row = page.locator('[data-testid="audit-row"]').first.inner_text()
    assert "SpO2" in row and "I.VS.SPO2" in row  # the label beside the OID
    assert "(coordinator)" in row and row.split("(coordinator)")[0].strip()  # a full name before the username
    assert "98 %" in row and "→" in row and "97 %" in row and "Transcription error" in row
    page.goto(f"{server}/subjects/01-S002/audit")
    assert page.locator('[data-testid="audit-row"]').count() > 10
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the trail is {width} px wide"
    page.screenshot(path="/tmp/ecrf-audit-trail.png", full_page=False)
