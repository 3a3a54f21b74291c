"""The browser tests' fixtures: the demo served on a free port, and a page of Debian's chromium."""
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
