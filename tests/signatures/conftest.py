"""The API fixtures (tests/api/conftest.py) for the signature tests of the JSON API."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_API = Path(__file__).resolve().parents[1] / "api"
if str(_API) not in sys.path:
    sys.path.insert(0, str(_API))  # api_helpers

_spec = importlib.util.spec_from_file_location("api_fixtures", _API / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
api, tokens = _fixtures.api, _fixtures.tokens
