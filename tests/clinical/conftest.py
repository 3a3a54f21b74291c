"""Reference data for the clinical calculator tests: docs/reference/domain-data.json.

The repository carries its own copy (docs/reference/README.md says where it comes from), so a bare
clone tests against the same values; tests/test_reference_copy.py keeps it equal to the shared
original when one is beside the repository. If the file is missing or unreadable every test that
needs it FAILS (never skips): a calculator checked against nothing must not look green.

A test asks for reference cases by naming one of the arguments in ``CASE_SOURCES``; it is then
run once per case in the JSON (``pytest_generate_tests`` below). Missing data fails the test in its
call phase, so it is reported FAILED (not skipped, not a setup ERROR).
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# test argument name -> path of a list of test cases inside the JSON
CASE_SOURCES: dict[str, tuple[str, ...]] = {
    "sledai_case": ("sledai_2k", "test_cases"),
    "eular_case": ("eular_acr_2019", "test_cases"),
    "crs_case": ("astct_crs", "test_cases"),
    "icans_case": ("astct_icans", "test_cases"),
    "schwartz_case": ("formulas", "bedside_schwartz_2009", "test_cases"),
    "ckd_epi_case": ("formulas", "ckd_epi_2021_creatinine", "test_cases"),
    "bsa_case": ("formulas", "mosteller_bsa", "test_cases"),
    "steroid_case": ("formulas", "glucocorticoid_equivalence", "test_cases"),
    "cart_dose_case": ("formulas", "car_t_weight_based_dose", "test_cases"),
}


def reference_path() -> Path:
    """Where domain-data.json is expected: the repository's own copy."""
    return REPO_ROOT / "docs" / "reference" / "domain-data.json"


@functools.lru_cache(maxsize=1)
def _load() -> tuple[dict | None, str]:
    """Read domain-data.json once: (data, "") or (None, why it could not be read)."""
    path = reference_path()
    try:
        return json.loads(path.read_text(encoding="utf-8")), ""
    except (OSError, ValueError) as exc:
        return None, f"reference data {path} could not be read ({exc}); restore docs/reference/ from git"


def _dig(data: dict, keys: tuple[str, ...]):
    """Follow a key path into the JSON."""
    for key in keys:
        data = data[key]
    return data


class _Missing:
    """Stands in for the data when the reference file or a case list is absent."""

    def __init__(self, reason: str) -> None:
        """Keep the reason the data is missing."""
        self.reason = reason


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> None:
    """Fail (in the call phase, so it is reported FAILED) any test that was handed missing data."""
    for value in pyfuncitem.funcargs.values():
        if isinstance(value, _Missing):
            pytest.fail(value.reason, pytrace=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise each case argument with the JSON cases (or one failing stand-in)."""
    for name, keys in CASE_SOURCES.items():
        if name not in metafunc.fixturenames:
            continue
        data, error = _load()
        if data is None:
            params = [pytest.param(_Missing(error), id="reference-missing")]
        else:
            try:
                cases = _dig(data, keys)
            except (KeyError, TypeError):
                cases = None
            if not isinstance(cases, list) or not cases:
                params = [pytest.param(_Missing(f"no test cases at {'.'.join(keys)} in {reference_path()}"),
                                       id="cases-missing")]
            else:
                params = [pytest.param(case, id=f"case{i}") for i, case in enumerate(cases)]
        metafunc.parametrize(name, params)


@pytest.fixture
def reference() -> dict:
    """The whole domain-data.json (a test given it while the file is absent fails)."""
    data, error = _load()
    return _Missing(error) if data is None else data
