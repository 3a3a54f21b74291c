#!/usr/bin/env python3
"""Set up a virtual environment in .venv (once) and run the demo or the tests.

    python3 scripts/run.py demo      # fresh demo database, served on http://127.0.0.1:5000
    python3 scripts/run.py test      # the whole test suite (SQLite; PostgreSQL with ECRF_TEST_DATABASE_URL)

Needs only Python 3.11+ and access to PyPI.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("ecrf needs Python 3.11 or newer")
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("installing ecrf and its dependencies into .venv ...", flush=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
        STAMP.write_text(wanted)


def _ensure_browser() -> None:
    """The end-to-end tests drive Debian's chromium (never a downloaded browser build); install it if we may."""
    import shutil

    if shutil.which("chromium"):
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's chromium for the browser tests ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    if not shutil.which("chromium"):
        print("warning: chromium is not installed (apt-get install chromium); the browser test will fail", flush=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    _ensure_venv()
    os.chdir(ROOT)
    if argv[0] == "demo":
        return subprocess.call([str(BIN / "ecrf"), "demo", *argv[1:]])
    _ensure_browser()
    return subprocess.call([str(PYTHON), "-m", "pytest", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
