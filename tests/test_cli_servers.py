"""`ecrf serve` (gunicorn, several workers) and `ecrf demo` start real servers that answer on localhost."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

_BESIDE = Path(sys.executable).parent / "ecrf"  # the virtual environment's own script
ECRF = str(_BESIDE) if _BESIDE.exists() else shutil.which("ecrf")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 60) -> str:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def env(tmp_path):
    env = {**os.environ, "ECRF_INSTANCE_PATH": str(tmp_path / "instance"), "ECRF_SECRET_KEY": "server-test",
           "ECRF_DEMO_PASSWORD": "demo password 2026"}
    env.pop("ECRF_TEST_DATABASE_URL", None)
    env["ECRF_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    return env


def _run(args, env, tmp_path):
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen([ECRF, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log


def test_serve_runs_gunicorn_with_workers(env, tmp_path):
    subprocess.run([ECRF, "init-db"], env=env, check=True, capture_output=True)
    port = _free_port()
    process, log = _run(["serve", "--port", str(port), "--workers", "2"], env, tmp_path)
    try:
        assert '"status":"ok"' in _wait(f"http://127.0.0.1:{port}/health").replace(" ", "")
        assert "Log in" in _wait(f"http://127.0.0.1:{port}/login")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    output = (tmp_path / "server.log").read_text()
    assert output.count("Booting worker") >= 2


def test_demo_creates_a_fresh_database_and_prints_the_logins(env, tmp_path):
    port = _free_port()
    process, log = _run(["demo", "--port", str(port)], env, tmp_path)
    try:
        assert "Log in" in _wait(f"http://127.0.0.1:{port}/login", 120)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    output = (tmp_path / "server.log").read_text()
    for role in ("coordinator", "investigator", "monitor", "data_manager", "sponsor", "admin"):
        assert f"{role}" in output
    assert "demo password 2026" in output
    assert (tmp_path / "instance" / "demo.sqlite").exists()


def test_demo_with_a_password_below_the_policy_says_so_without_a_traceback(env):
    done = subprocess.run([ECRF, "demo", "--port", str(_free_port())], env={**env, "ECRF_DEMO_PASSWORD": "short"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "ECRF_DEMO_PASSWORD: The password must have at least 12 characters." in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
