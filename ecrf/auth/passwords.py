"""Password hashing with argon2id (argon2-cffi), and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's RFC 9106 defaults, or the configured (test) parameters."""
    params = current_app.config.get("ARGON2_PARAMS")
    return PasswordHasher(**params) if params else PasswordHasher()


def hash_password(password: str) -> str:
    return hasher().hash(password)


def check_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def policy_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, or None (length first, as ASVS 5.0 §6.2 advises)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return f"The password must have at least {minimum} characters."
    if len(password) > 256:
        return "The password must have at most 256 characters."
    if username.lower() in password.lower():
        return "The password must not contain the username."
    return None
