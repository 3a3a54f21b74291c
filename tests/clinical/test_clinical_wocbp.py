"""Woman of childbearing potential."""
from __future__ import annotations

import pytest

from ecrf.clinical.wocbp import STERILISATION_PROCEDURES, is_postmenopausal, is_wocbp, wocbp_status


def test_post_menarche_female_is_wocbp():
    status = wocbp_status("female", menarche=True)
    assert (status.is_wocbp, status.reason) == (True, "childbearing_potential")
    assert is_wocbp("F", True)


def test_male_is_not_wocbp_and_needs_no_menarche():
    status = wocbp_status("male")
    assert (status.is_wocbp, status.reason) == (False, "male")
    assert not is_wocbp("M")


def test_premenarchal_girl_is_not_wocbp():
    status = wocbp_status("female", menarche=False)
    assert (status.is_wocbp, status.reason) == (False, "premenarchal")


@pytest.mark.parametrize("procedure", STERILISATION_PROCEDURES)
def test_each_sterilisation_procedure(procedure):
    status = wocbp_status("female", menarche=True, sterilisation=[procedure])
    assert (status.is_wocbp, status.reason) == (False, "permanently_sterile")
    assert procedure.replace("_", " ") in status.detail


def test_postmenopausal_is_not_wocbp():
    status = wocbp_status("female", menarche=True, postmenopausal=True)
    assert (status.is_wocbp, status.reason) == (False, "postmenopausal")


@pytest.mark.parametrize(("months", "other_cause", "result"), [
    (11, False, False), (11.9, False, False), (12, False, True), (13, False, True), (24, True, False),
    (0, False, False),
])
def test_postmenopausal_12_months_boundary(months, other_cause, result):
    assert is_postmenopausal(months, other_cause) is result


def test_unknown_sterilisation_procedure_raises():
    with pytest.raises(ValueError, match=r"unknown sterilisation procedure.*tubal_ligation"):
        wocbp_status("female", menarche=True, sterilisation=["tubal_ligation"])
    with pytest.raises(ValueError, match="collection of ids"):
        wocbp_status("female", menarche=True, sterilisation="hysterectomy")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sex": "female"}, "menarche status"),
    ({"sex": "female", "menarche": "yes"}, "menarche"),
    ({"sex": "other", "menarche": True}, "sex"),
    ({"sex": "female", "menarche": True, "postmenopausal": None}, "postmenopausal"),
])
def test_invalid_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        wocbp_status(**kwargs)


def test_negative_months_raises():
    with pytest.raises(ValueError, match="amenorrhoea"):
        is_postmenopausal(-1)
