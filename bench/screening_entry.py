"""Clicks and seconds to enter a whole screening visit in Debian's chromium, the two ways of moving on, measured in
the same run on the same server: from the casebook grid (open each form, save, back to the casebook: the only way
before "save and next") and with "Save and next form".

    .venv/bin/python bench/screening_entry.py [--runs 3]

Each run enters the same values (ecrf.demo.screening: 19 forms, a man, every criterion met) for a new consented
subject, typing every value as a person would. Prints per way the clicks that move between forms, the clicks on
answers, the keys typed and the median seconds, and the ratio save-and-next / grid.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))

from common import app_for, database  # noqa: E402
from helpers import PASSWORD  # noqa: E402
from screening_walk import consented_subject, from_the_casebook, login, with_save_and_next  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from ecrf.demo import seed
    from ecrf.infra.extensions import db
    from ecrf.study.definition import load

    url, cleanup = database(None)
    try:
        app = app_for(url)
        with app.app_context():
            seed(PASSWORD)
            db.session.remove()
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        server = f"http://127.0.0.1:{httpd.server_port}"
        required = [r.form_oid for r in load().event("SE.SCREENING").forms if r.required]
        seconds: dict[str, list[float]] = {"grid": [], "next": []}
        tallies = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            login(page, server, "coordinator", PASSWORD)
            for _ in range(args.runs):
                for way in ("grid", "next"):
                    key, values = consented_subject(app)
                    started = time.perf_counter()
                    if way == "grid":
                        tallies[way] = from_the_casebook(page, server, key, values, required)
                    else:
                        tallies[way], _ = with_save_and_next(page, server, key, values, required[0])
                    seconds[way].append(time.perf_counter() - started)
            browser.close()
        httpd.shutdown()
    finally:
        cleanup()
    print(f"screening visit: {len(required)} forms, {args.runs} runs each way, median seconds")
    for way, label in (("grid", "from the casebook grid"), ("next", "save and next form")):
        t = tallies[way]
        print(f"  {label:24} {t.moves:3} clicks to move, {t.choices:3} on answers, {t.keys:4} keys typed, "
              f"{statistics.median(seconds[way]):6.2f} s")
    g, n = tallies["grid"], tallies["next"]
    print(f"  ratio save-and-next / grid: clicks {n.clicks / g.clicks:.2f} (moves {n.moves / g.moves:.2f}), "
          f"seconds {statistics.median(seconds['next']) / statistics.median(seconds['grid']):.2f}")


if __name__ == "__main__":
    main()
