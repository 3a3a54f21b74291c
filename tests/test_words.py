"""Codes in the database, words at the faces: stored messages and reasons, the English catalogue, legacy text."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecrf.clinical import wocbp
from ecrf.enrolment.eligibility import evaluate, read_snapshot, snapshot_json
from ecrf.study import words
from ecrf.study.messages import JOIN, LEGACY, Msg, decode, encode, from_data, join, to_data
from ecrf.study.reasons import REASONS, change_reason, decode_reason, recalculated

# -- the stored form -----------------------------------------------------------------------------------------------


def test_a_message_survives_storage_unchanged():
    msg = join(Msg("age_at_consent", age=30, on=date(2026, 11, 1)),
               Msg("spo2_on_oxygen", spo2=Msg("spo2", value=Decimal("95.0"))))
    stored = encode(msg)
    assert json.loads(stored) == {"code": "join", "parts": [
        {"code": "age_at_consent", "age": 30, "on": "2026-11-01"},
        {"code": "spo2_on_oxygen", "spo2": {"code": "spo2", "value": "95.0"}}]}
    assert decode(stored) == msg and from_data(to_data(msg)) == msg
    assert words.render(stored) == words.render(msg) == \
        "age 30 y at consent 2026-11-01; SpO2 95.0 % on supplemental oxygen (room air required)"


def test_a_note_in_chinese_is_stored_as_typed_not_escaped():
    stored, problem = change_reason("OTHER", "  复核原始病历 ")
    assert problem is None and stored == '{"code":"OTHER","note":"复核原始病历"}'
    assert words.render(stored) == "Other (explain): 复核原始病历"


def test_join_flattens_and_drops_empty_parts():
    a, b, c = Msg("wocbp"), Msg("no_consent"), Msg("ana_negative")
    assert join(a, None, join(b, c)) == Msg(JOIN, parts=[a, b, c])
    assert join(None, a) == a and join(None) is None


def test_a_parameter_named_code_or_of_an_unstorable_type_is_refused():
    with pytest.raises(ValueError):
        Msg("x", code="y")
    with pytest.raises(TypeError):
        Msg("x", when=object())


# -- reasons for change --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REASONS.values)
def test_every_reason_is_stored_as_its_code_and_shown_with_its_label(code):
    stored, problem = change_reason(code, "see query 12")
    assert problem is None and decode_reason(stored) == Msg(code, note="see query 12")
    assert words.render(stored) == f"{REASONS.label(code)}: see query 12"
    if code != "OTHER":
        assert change_reason(code, "") == (json.dumps({"code": code}, separators=(",", ":")), None)
        assert words.render(change_reason(code, None)[0]) == REASONS.label(code)


@pytest.mark.parametrize(("code", "note", "problem"), [
    (None, "x", "A reason for change is required: this form was already completed."),
    ("NOPE", "x", "Choose a reason from the list."),
    ("RECALCULATED", "", "Choose a reason from the list."),  # a system reason is not a user's choice
    ("OTHER", "   ", "Explain the reason for change."),
    ("OTHER", "x" * 1001, "The explanation is too long (at most 1000 characters)."),
])
def test_unacceptable_reasons_store_nothing(code, note, problem):
    assert change_reason(code, note) == (None, problem)


def test_recalculated_names_its_sources():
    stored = recalculated(["I.HTWT.WEIGHT", "I.HTWT.HEIGHT", "I.HTWT.HEIGHT"])
    assert json.loads(stored) == {"code": "RECALCULATED", "sources": ["I.HTWT.HEIGHT", "I.HTWT.WEIGHT"]}
    assert words.render(stored) == "Recalculated after a change to I.HTWT.HEIGHT, I.HTWT.WEIGHT"


# -- legacy and damaged text are shown, never an error ---------------------------------------------------------------


@pytest.mark.parametrize("stored", [
    "Transcription error: typo",  # a reason written before codes
    "Other (explain): {braces} in the note",
    "{not json",
    '{"note": "a JSON object without a code"}',
    "[1, 2]",
    "",
])
def test_text_that_is_not_a_coded_message_is_shown_as_it_is(stored):
    assert decode(stored) is None and words.render(stored) == stored


def test_unknown_codes_and_wrong_parameters_still_say_what_is_stored():
    assert words.render('{"code":"FUTURE_REASON","ticket":7}') == "FUTURE_REASON (ticket=7)"
    assert words.render(Msg("age_at_consent", years=3)) == "age_at_consent (years=3)"  # 'age' and 'on' missing
    assert words.render(Msg("not_wocbp", why="unheard_of")) == "not_wocbp (why=unheard_of)"
    assert words.render(Msg(LEGACY, text="LVEF 50 %")) == "LVEF 50 %"
    assert words.render(None) == ""


def test_a_language_without_a_catalogue_falls_back_to_english():
    assert words.render(Msg("no_consent"), lang="zh") == "no consent recorded"
    assert words.criterion_label("IN4", lang="zh") == "SLEDAI-2K >= 8"
    assert words.criterion_label("IN99") == "IN99"


# -- eligibility messages: every code the engine can say has words ---------------------------------------------------


def _codes(msg) -> set[str]:
    if isinstance(msg, Msg):
        return {msg.code, *(c for v in msg.params.values() for c in _codes(v))}
    if isinstance(msg, list):
        return {c for v in msg for c in _codes(v)}
    return set()


BOOLS = st.sampled_from(["true", "false", None, "maybe"])
NUMBERS = st.one_of(st.none(), st.sampled_from(["0", "-1", "abc"]),
                    st.decimals(0, 500, places=1, allow_nan=False).map(str))
DAYS = st.sampled_from([None, "2026-11-02", "1990-05-05", "2016-01-01", "2030-01-01", "bad"])
SCREENING_OIDS = {
    "I.DM.BRTHDAT": DAYS, "I.DM.SEX": st.sampled_from(["F", "M", None, "X"]), "I.DM.MENARCHE": BOOLS,
    "I.DM.STERIL": BOOLS, "I.DM.STERILTYP": st.sampled_from([None, "hysterectomy", "bilateral_oophorectomy"]),
    "I.DM.POSTMENO": BOOLS, "I.PREG.RES": st.sampled_from([None, "NEG", "POS", "IND"]),
    "I.PREG.SPEC": st.sampled_from([None, "SERUM", "URINE"]), "I.PREG.DTC": DAYS, "I.CONTRA.AGREE": BOOLS,
    "I.SLEHX.ANATITRE": NUMBERS, "I.SLEHX.ANAEQUIV": BOOLS, "I.PRIORTX.STDINT": BOOLS,
    "I.PRIORTX.GCDRUG": st.sampled_from([None, "prednisone", "dexamethasone"]), "I.PRIORTX.GCDOSE": NUMBERS,
    "I.PRIORTX.GCWT": NUMBERS, "I.PRIORTX.GCMON": NUMBERS, "I.PRIORTX.HCQ": BOOLS, "I.PRIORTX.MMF": BOOLS,
    "I.SLEDAI.TOTAL": NUMBERS, "I.SLEDAI.DAT": DAYS, "I.CARDIO.LVEF": NUMBERS,
    "I.CARDIO.ECG": st.sampled_from([None, "NORMAL", "ABN_NCS", "ABN_CS"]), "I.CHEM.DTC": DAYS,
    "I.CHEM.CREAT": NUMBERS, "I.HTWT.HEIGHT": NUMBERS, "I.CHEM.EGFR": NUMBERS, "I.CHEM.AST": NUMBERS,
    "I.CHEM.ASTULN": NUMBERS, "I.CHEM.ALT": NUMBERS, "I.CHEM.ALTULN": NUMBERS,
    "I.CHEM.BILI": NUMBERS, "I.CHEM.BILIULN": NUMBERS, "I.CHEST.SERLUNG": BOOLS,
    "I.VS.SPO2": NUMBERS, "I.VS.O2SUP": BOOLS, "I.ELIG.LEUKOK": BOOLS,
    "I.ELIG.LEUKRSN": st.sampled_from([None, "poor venous access"]), "I.ELIG.INFECT": BOOLS, "I.ELIG.CNSLUP": BOOLS,
    "I.ELIG.PREGLACT": BOOLS, "I.ELIG.MALIG": BOOLS, "I.ELIG.ORGAN": BOOLS,
    "I.PRIORTX.GENETX": BOOLS, "I.ELIG.OTHEREX": st.sampled_from([None, "HIV positive"]),
}
CONSENTS = st.lists(st.fixed_dictionaries({
    "I.IC.DTC": st.sampled_from(["2026-11-01T09:00:00Z", "bad", None]),
    "I.IC.TYPE": st.sampled_from(["ADULT", "GUARDIAN", "ASSENT", None]),
    "I.IC.SIGNER": st.sampled_from(["PARTICIPANT", "LAR", None])}), max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(SCREENING_OIDS), CONSENTS)
def test_every_message_the_engine_gives_has_english_words_and_survives_the_snapshot(screening, consents):
    result = evaluate(screening, consents)
    for criterion in result.criteria:
        unknown = _codes(criterion.message) - set(words.EN) - {JOIN, LEGACY}
        assert not unknown, (criterion.code, criterion.message)
        with mock.patch.object(words, "_raw", side_effect=AssertionError("a template did not fit its message")):
            assert words.render(criterion.message)
    stored = read_snapshot(snapshot_json(result))
    assert [(c.code, c.status, words.render(c.message), c.missing) for c in stored] == \
        [(c.code, c.status, words.render(c.message), c.missing) for c in result.criteria]


@pytest.mark.parametrize(("sex", "menarche", "procedures", "postmenopausal"), [
    ("male", None, (), False), ("female", False, (), False), ("female", True, ("hysterectomy",), False),
    ("female", True, ("bilateral_oophorectomy",), False), ("female", True, (), True),
])
def test_not_of_childbearing_potential_reads_as_the_clinical_explanation(sex, menarche, procedures, postmenopausal):
    status = wocbp.wocbp_status(sex, menarche, procedures, postmenopausal)
    msg = Msg("not_wocbp", why=status.reason, procedures=list(procedures),
              months=wocbp.POSTMENOPAUSAL_AMENORRHOEA_MONTHS)
    assert words.render(msg) == f"not of childbearing potential ({status.detail.replace(' (', '; ').rstrip(')')})"


@pytest.mark.parametrize("stored", [None, "", "not json", "{}", '[{"code": 1}]', '[["IN1"]]', "[{}]"])
def test_an_unreadable_snapshot_reads_as_no_criteria(stored):
    assert read_snapshot(stored) == []
