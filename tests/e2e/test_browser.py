"""End to end in a real browser (Debian's chromium driven by Playwright): a coordinator logs in, is refused an
SpO2 of 140 % with the range named, then saves the vital signs; the casebook turns the cell green."""
from __future__ import annotations

import shutil
import threading

import pytest
from helpers import PASSWORD
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(app, tmp_path):
    from ecrf.demo import seed
    from ecrf.infra.extensions import db

    app.config["SERVER_NAME"] = None
    with app.app_context():
        seed(PASSWORD)
        db.session.remove()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()


@pytest.fixture
def page(tmp_path):
    if not shutil.which("chromium") and not shutil.os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: `python3 scripts/run.py test` installs it when run as root "
                    "(apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # a new, empty profile each run (Playwright's launch uses a fresh temporary one)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


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
