"""Configuration from environment variables (ECRF_*), with safe defaults."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import current_app, has_app_context

#: the repository (or installed tree) holding templates/ and migrations/
ROOT = Path(__file__).resolve().parents[2]


def _kept_key(variable: str, instance_path: Path, filename: str) -> str:
    """The environment variable, or a key generated once and kept (mode 600) in the instance folder."""
    if key := os.environ.get(variable):
        return key
    path = instance_path / filename
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # created with mode 600 from the start, and never overwritten by a second process racing this one
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip()


def _secret_key(instance_path: Path) -> str:
    """ECRF_SECRET_KEY, or a key generated once and kept in the instance folder."""
    return _kept_key("ECRF_SECRET_KEY", instance_path, "secret_key")


def audit_key(instance_path: Path) -> str:
    """ECRF_AUDIT_KEY, or a key generated once in the instance folder: the HMAC key of the audit chain.

    It must never be stored in the database (whoever can write the database could then forge records);
    back it up apart from the database backups, or their chains no longer verify.
    """
    return _kept_key("ECRF_AUDIT_KEY", instance_path, "audit_key")


def from_environment(instance_path: Path) -> dict:
    """Settings read from the environment at app creation."""
    idle = int(os.environ.get("ECRF_SESSION_IDLE_MINUTES", "30"))
    settings = {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("ECRF_DATABASE_URL")
        or f"sqlite:///{instance_path / 'ecrf.sqlite'}",
        "SECRET_KEY": _secret_key(instance_path),
        "AUDIT_KEY": audit_key(instance_path),
        "SESSION_IDLE_MINUTES": idle,
        "SESSION_COOKIE_SECURE": os.environ.get("ECRF_SECURE_COOKIES", "0") == "1",
    }
    if roles := os.environ.get("ECRF_REQUIRE_TOTP_ROLES"):
        settings["TOTP_REQUIRED_ROLES"] = roles  # checked against the known roles by ecrf.auth.totp
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "TIMEOUT"):
        if (value := os.environ.get(f"ECRF_SMTP_{name}")) is not None:
            settings[f"SMTP_{name}"] = value
    if (starttls := os.environ.get("ECRF_SMTP_STARTTLS")) is not None:
        settings["SMTP_STARTTLS"] = starttls == "1"
    if (safety_to := os.environ.get("ECRF_SAFETY_MAIL_TO")) is not None:
        settings["SAFETY_MAIL_TO"] = safety_to  # checked at start-up by ecrf.safety.notifications.configure
    proxies = os.environ.get("ECRF_TRUSTED_PROXIES", "0")
    if not proxies.isascii() or not proxies.isdigit():
        raise ValueError(f"ECRF_TRUSTED_PROXIES is the number of reverse proxies in front of the app "
                         f"(0 = none), not {proxies!r}")
    settings["TRUSTED_PROXIES"] = int(proxies)
    if meanings := os.environ.get("ECRF_SIGNATURE_MEANINGS"):
        # one meaning per line (or separated by "|"), as the sign page offers them
        settings["SIGNATURE_MEANINGS"] = tuple(m.strip() for m in re.split(r"[|\n]", meanings) if m.strip())
    for setting, variable in (("SEAL_KEY_PATH", "ECRF_SEAL_KEY"), ("SEAL_CERT_PATH", "ECRF_SEAL_CERT")):
        if path := os.environ.get(variable):  # the site's own seal key and certificate (PEM)
            settings[setting] = path
    if cap := os.environ.get("ECRF_ENROLMENT_CAP"):
        settings["ENROLMENT_CAP"] = int(cap)
    if redis_url := os.environ.get("ECRF_REDIS_URL"):
        settings["REDIS_URL"] = redis_url  # the export jobs' queue (default: <instance>/jobs.sqlite)
    if ttl := os.environ.get("ECRF_EXPORT_TTL_HOURS"):
        settings["EXPORT_TTL_HOURS"] = float(ttl)
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
    # a reset link is mailed to the user only; short-lived, so a mailbox read later holds nothing usable
    "RESET_TOKEN_HOURS": 1,
    "PASSWORD_HISTORY": 5,
    # outgoing mail (ecrf mail-worker); ECRF_SMTP_* in the environment
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "SMTP_FROM": "ecrf@localhost",
    "SMTP_TIMEOUT": 30,
    # a claim runs out after the lease (a worker died mid-send); longer than SMTP_TIMEOUT, so a slow send
    # is not taken over while it may still succeed
    "MAIL_LEASE_SECONDS": 300,
    "MAIL_RETRY_SECONDS": 30,
    "MAIL_MAX_ATTEMPTS": 25,
    # who is mailed a new SAE, a positive pregnancy test, CRS/ICANS grade >= 3 and a DLT (ecrf.safety.notifications):
    # comma-separated addresses, ECRF_SAFETY_MAIL_TO; none by default (the events are still recorded)
    "SAFETY_MAIL_TO": "",
    # roles that must log in with a second factor (TOTP), e.g. "admin,investigator"; none by default
    "TOTP_REQUIRED_ROLES": "",
    # argon2id parameters; None = argon2-cffi's RFC 9106 low-memory profile (64 MiB, t=3, p=4).
    "ARGON2_PARAMS": None,
    # the meanings an investigator chooses from when signing (21 CFR 11.50(a)(3)); ECRF_SIGNATURE_MEANINGS
    "SIGNATURE_MEANINGS": (
        "I approve the data in this casebook as accurate and complete",
        "I have reviewed the data of this form",
        "I have reviewed the data of this visit",
        "I confirm the subject's eligibility",
    ),
    # the key and certificate (PEM files) exports are sealed with; None: those `ecrf init-db` made in the instance
    # folder (ecrf.exports.seal); ECRF_SEAL_KEY, ECRF_SEAL_CERT
    "SEAL_KEY_PATH": None,
    "SEAL_CERT_PATH": None,
    # Protocol parameters live in ecrf.study.protocol; ENROLMENT_CAP, ASSENT_AGE, DLT_DAYS, SENTINEL_DAYS and
    # DOSE_TOLERANCE_PERCENT, when set here or in the environment, are explicit overrides of them.
}


class MissingAuditKey(RuntimeError):
    """Keyed audit records cannot be written or checked without the key."""


def current_audit_key() -> bytes:
    """AUDIT_KEY of the running application (ECRF_AUDIT_KEY or the instance folder's audit_key file)."""
    key = current_app.config.get("AUDIT_KEY") if has_app_context() else None
    if not key:
        raise MissingAuditKey("no audit key: run inside the application (ECRF_AUDIT_KEY or the instance folder's "
                              "audit_key file)")
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)
