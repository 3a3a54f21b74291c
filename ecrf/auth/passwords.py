"""Password hashing with argon2id (argon2-cffi), and the password policy."""
from __future__ import annotations

import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's RFC 9106 defaults, or the configured (test) parameters."""
    params = current_app.config.get("ARGON2_PARAMS")
    return PasswordHasher(**params) if params else PasswordHasher()


def hash_password(password: str) -> str:
    return hasher().hash(password)


#: a hash of a password nobody knows, per hasher parameters, verified when there is no real hash to check
_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    key = repr(current_app.config.get("ARGON2_PARAMS"))
    if key not in _DUMMY:
        _DUMMY[key] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY[key]


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; without a stored hash (an unknown user, a password never set)
    a dummy hash is verified all the same, so the answer takes as long as for a real account."""
    try:
        return hasher().verify(stored or _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list (from leaked password sets), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


# what people add to a common password to pass a length rule: digits, years, punctuation, at either end
_PADDING = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$")


def is_common(password: str) -> bool:
    """Whether ``password`` is, ignoring case and spaces, a common password, or one padded with digits
    and punctuation (``Password2026!``, ``123qwerty123``)."""
    folded = "".join(password.lower().split())
    common = common_passwords()
    if folded in common:
        return True
    core = _PADDING.match(folded).group(1)
    return len(core) >= 6 and core in common


def policy_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, or None (length first, as ASVS 5.0 §6.2 advises)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return f"The password must have at least {minimum} characters."
    if len(password) > 256:
        return "The password must have at most 256 characters."
    if username.lower() in password.lower():
        return "The password must not contain the username."
    if is_common(password):
        return "This password is in a list of commonly used passwords; choose another."
    return None
