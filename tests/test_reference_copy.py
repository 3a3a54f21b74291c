"""docs/reference/ is the repository's copy of the shared reference files (docs/reference/README.md).

The tests read only that copy, so a bare clone is self-contained. When the shared original is present
(``ECRF_SHARED_DIR``, or ``shared/`` beside the repository root) every copied file must equal it byte
for byte, so the copy cannot drift unnoticed. Without it the same tests still run and assert that the
copy is complete: each file is there, the JSON parses and holds every section and case list the tests
read. Nothing here is skipped; the test ids say which of the two checks ran.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = REPO_ROOT / "docs" / "reference"
COPIED = ("domain-data.json", "domain-reference.md", "protocol-brief.md")

# Key paths into domain-data.json that the tests read (tests/clinical/, tests/forms/test_crf_catalogue.py).
# Case lists must be non-empty lists; the rest must merely exist.
CASE_LISTS = (
    ("sledai_2k", "test_cases"),
    ("eular_acr_2019", "test_cases"),
    ("astct_crs", "test_cases"),
    ("astct_icans", "test_cases"),
    ("formulas", "bedside_schwartz_2009", "test_cases"),
    ("formulas", "ckd_epi_2021_creatinine", "test_cases"),
    ("formulas", "mosteller_bsa", "test_cases"),
    ("formulas", "glucocorticoid_equivalence", "test_cases"),
    ("formulas", "car_t_weight_based_dose", "test_cases"),
)
KEYS = (
    ("sledai_2k", "items"), ("sledai_2k", "n_items"), ("sledai_2k", "weight_counts"),
    ("sledai_2k", "lookback_days", "standard"), ("sledai_2k", "interpretation_bands_V1"),
    ("eular_acr_2019", "domains"), ("eular_acr_2019", "max_points"), ("eular_acr_2019", "entry_criterion"),
    ("astct_crs", "hypotension_levels"), ("astct_crs", "hypoxia_levels"),
    ("astct_icans", "ice", "items"), ("astct_icans", "capd", "items"),
    ("formulas", "creatinine_unit_conversion"), ("formulas", "egfr_equation_selection"),
    ("formulas", "glucocorticoid_equivalence", "equivalent_dose_mg"),
    ("formulas", "car_t_weight_based_dose", "dose_levels_seen", "NCT07331467_registered"),
    ("outcome_definitions", "doris_2021"), ("outcome_definitions", "lldas"), ("outcome_definitions", "pga"),
)
# Headings and criteria of the protocol brief that code comments cite (ecrf/enrolment/, ecrf/visits/).
BRIEF_ANCHORS = ("## Eligibility", "## Schedule of events", "## Pregnancy tests", "NCT07331467",
                 *(f"| IN{n} |" for n in range(1, 12)))


def shared_reference() -> Path | None:
    """The shared reference folder, or None when there is none beside the repository.

    An ECRF_SHARED_DIR that points at nothing is an error, not "no shared copy": whoever set it
    meant a comparison to happen.
    """
    configured = os.environ.get("ECRF_SHARED_DIR")
    if configured:
        folder = Path(configured) / "reference"
        if not folder.is_dir():
            raise RuntimeError(f"ECRF_SHARED_DIR is set but {folder} is not a folder")
        return folder
    folder = REPO_ROOT.parent / "shared" / "reference"
    return folder if folder.is_dir() else None


def differences(copy: Path, original: Path, names=COPIED) -> list[str]:
    """Names of the files whose copy is absent or differs from the original in any byte."""
    return [name for name in names
            if not (copy / name).is_file() or (copy / name).read_bytes() != (original / name).read_bytes()]


def _dig(data, keys):
    for key in keys:
        data = data[key]
    return data


def completeness_problems(folder: Path) -> list[str]:
    """What is missing from a reference copy for the tests that read it (empty when complete)."""
    problems = [f"{name} is missing" for name in COPIED if not (folder / name).is_file()]
    if problems:
        return problems
    try:
        data = json.loads((folder / "domain-data.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"domain-data.json does not parse: {exc}"]
    for keys in CASE_LISTS + KEYS:
        try:
            value = _dig(data, keys)
        except (KeyError, TypeError):
            problems.append(f"domain-data.json has no {'.'.join(keys)}")
            continue
        if keys in CASE_LISTS and not (isinstance(value, list) and value):
            problems.append(f"domain-data.json {'.'.join(keys)} is not a non-empty list")
    brief = (folder / "protocol-brief.md").read_text(encoding="utf-8")
    problems += [f"protocol-brief.md lacks {anchor!r}" for anchor in BRIEF_ANCHORS if anchor not in brief]
    # the companion the JSON names in meta.companion, with its SLEDAI-2K section
    if "## 1. SLEDAI-2K" not in (folder / "domain-reference.md").read_text(encoding="utf-8"):
        problems.append("domain-reference.md lacks its SLEDAI-2K section")
    return problems


_SHARED = shared_reference()
_MODE = "equals-shared" if _SHARED else "no-shared-copy-complete"


@pytest.mark.parametrize("name", COPIED, ids=[f"{n}-{_MODE}" for n in COPIED])
def test_reference_copy(name):
    if _SHARED is None:
        # no original to compare with: this file must at least hold all the tests need
        assert [p for p in completeness_problems(REFERENCE) if p.startswith(name)] == []
    else:
        assert differences(REFERENCE, _SHARED, (name,)) == [], f"docs/reference/{name} differs from {_SHARED / name}"


def test_repository_copy_is_complete():
    assert completeness_problems(REFERENCE) == []


def test_readme_describes_every_copied_file():
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    assert [name for name in COPIED if f"`{name}`" not in readme] == []
    # and names no file that is not in the folder
    named = set(re.findall(r"`([\w.-]+\.(?:json|md))`", readme)) - {"README.md"}
    assert named <= set(COPIED)


def test_the_checks_catch_a_changed_byte_and_a_missing_key(tmp_path):
    """The comparison and the completeness check fail on a one-byte change and on a dropped case list."""
    original, copy = tmp_path / "original", tmp_path / "copy"
    for folder in (original, copy):
        folder.mkdir()
        for name in COPIED:
            (folder / name).write_bytes((REFERENCE / name).read_bytes())
    assert differences(copy, original) == [] and completeness_problems(copy) == []
    brief = (copy / "protocol-brief.md").read_bytes()
    (copy / "protocol-brief.md").write_bytes(brief.replace(b">= 5 years", b">= 6 years", 1))
    assert differences(copy, original) == ["protocol-brief.md"]
    data = json.loads((copy / "domain-data.json").read_text(encoding="utf-8"))
    del data["astct_icans"]["test_cases"]
    (copy / "domain-data.json").write_text(json.dumps(data), encoding="utf-8")
    assert completeness_problems(copy) == ["domain-data.json has no astct_icans.test_cases"]
