"""Configuration from environment variables (ECRF_*), with safe defaults."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

#: the repository (or installed tree) holding templates/ and migrations/
ROOT = Path(__file__).resolve().parents[2]


def _secret_key(instance_path: Path) -> str:
    """ECRF_SECRET_KEY, or a key generated once and kept in the instance folder."""
    if key := os.environ.get("ECRF_SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(instance_path: Path) -> dict:
    """Settings read from the environment at app creation."""
    idle = int(os.environ.get("ECRF_SESSION_IDLE_MINUTES", "30"))
    settings = {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("ECRF_DATABASE_URL")
        or f"sqlite:///{instance_path / 'ecrf.sqlite'}",
        "SECRET_KEY": _secret_key(instance_path),
        "SESSION_IDLE_MINUTES": idle,
        "SESSION_COOKIE_SECURE": os.environ.get("ECRF_SECURE_COOKIES", "0") == "1",
    }
    proxies = os.environ.get("ECRF_TRUSTED_PROXIES", "0")
    if not proxies.isascii() or not proxies.isdigit():
        raise ValueError(f"ECRF_TRUSTED_PROXIES is the number of reverse proxies in front of the app "
                         f"(0 = none), not {proxies!r}")
    settings["TRUSTED_PROXIES"] = int(proxies)
    if cap := os.environ.get("ECRF_ENROLMENT_CAP"):
        settings["ENROLMENT_CAP"] = int(cap)
    return settings


DEFAULTS: dict = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 0,
    "WTF_CSRF_TIME_LIMIT": None,  # the session idle timeout bounds the token's life
    # Large enough that a 10 MB paste reaches the field validator and gets a message, not a 413.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 16 * 1024 * 1024,
    "API_MAX_BODY_BYTES": 1024 * 1024,
    "API_AUTH_FAILURES_PER_MINUTE": 20,
    # failed web logins per client address and minute (the per-account limit is the lockout)
    "LOGIN_FAILURES_PER_MINUTE": 20,
    # reverse proxies whose X-Forwarded-For/-Proto are believed (ProxyFix); 0: the peer's address is the client's
    "TRUSTED_PROXIES": 0,
    # life of the session cookie; the session itself ends after SESSION_IDLE_MINUTES without a request
    "SESSION_COOKIE_HOURS": 12,
    "LOCKOUT_THRESHOLD": 5,
    "LOCKOUT_MINUTES": 15,
    "PASSWORD_MIN_LENGTH": 12,
    "RESET_TOKEN_HOURS": 24,
    # argon2id parameters; None = argon2-cffi's RFC 9106 low-memory profile (64 MiB, t=3, p=4).
    "ARGON2_PARAMS": None,
    # Protocol parameters live in ecrf.study.protocol; ENROLMENT_CAP, ASSENT_AGE, DLT_DAYS, SENTINEL_DAYS and
    # DOSE_TOLERANCE_PERCENT, when set here or in the environment, are explicit overrides of them.
}
