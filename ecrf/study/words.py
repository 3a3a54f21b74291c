"""The words for stored codes: audit reasons, eligibility criteria and their messages.

The database keeps codes and parameters (``ecrf.study.messages``); the faces (web pages, the CSV export,
the API) call :func:`render` to show them. One catalogue per language maps a code to a template: a
``str.format`` text over the parameters, or a function of the parameters for wording that a format
string cannot say. A Chinese catalogue is a dict with the same keys added to ``CATALOGUES``; a code it
lacks falls back to English, then to the code itself, so a missing translation is never an error.

Anything that is not a coded text is shown as it is: reasons and snapshot values stored as English
sentences before codes existed (audit rows are hashed and append-only, so they stay that way).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Union

from ecrf.study.crfs import codelists as cl
from ecrf.study.definition import load as load_study
from ecrf.study.messages import JOIN, LEGACY, Msg, decode, from_data
from ecrf.study.reasons import FORMAT_MIGRATED, REASONS, RECALCULATED, VISIT_DATE_RULE

Template = Union[str, Callable[[dict], str]]


def _pairs(pairs, link: str) -> str:
    return ", ".join(f"{kind} {link} {signer}" for kind, signer in pairs)


def _reason(label: str) -> Callable[[dict], str]:
    return lambda p: f"{label}: {p['note']}" if p.get("note") else label


_NOT_WOCBP = {
    "male": lambda p: "male participant",
    "premenarchal": lambda p: "premenarchal; re-check at each visit",
    "permanently_sterile": lambda p: "permanently sterile: " + ", ".join(x.replace("_", " ") for x in p["procedures"]),
    "postmenopausal": lambda p: f"postmenopausal; {p['months']} months amenorrhoea, no other cause",
}
_WHEN = {"sample": "sample", "consent": "consent"}  # the date an age was counted at
_EXCLUSIONS = {
    "I.ELIG.INFECT": "active uncontrolled infection",
    "I.ELIG.CNSLUP": "CNS lupus needing treatment",
    "I.ELIG.PREGLACT": "pregnant or breastfeeding",
    "I.ELIG.MALIG": "malignancy",
    "I.ELIG.ORGAN": "major organ dysfunction",
    "I.PRIORTX.GENETX": "prior CAR-T or gene therapy",
}


def _item_label(oid: str) -> str:
    item = load_study().items.get(oid)
    return f"{item.label} ({oid})" if item else oid


def _label_only(oid: str) -> str:
    item = load_study().items.get(oid)
    return item.label if item else oid


def _exclusion(oid: str, other: str | None) -> str:
    label = f"other: {other}" if oid == "I.ELIG.OTHEREX" else _EXCLUSIONS.get(oid, oid)
    return f"{label} ({oid})"


def _liver(name: str, unit: str) -> str:
    return name + " {value} " + unit + " (limit {limit} = {factor} x ULN {uln})"


EN: dict[str, Template] = {
    # -- reasons for change (audit_event.reason): a user's choice, with the note as typed ------------------
    **{code: _reason(REASONS.label(code)) for code in REASONS.values},
    RECALCULATED: lambda p: "Recalculated after a change to " + ", ".join(p.get("sources") or ()),
    FORMAT_MIGRATED: "Stored text rewritten in a new format by migration {revision}",
    VISIT_DATE_RULE: "Visit date recomputed by migration {revision}: the visit-date rule changed (a visit is "
                     "dated by its declared visit-date item only)",

    # -- calculated items that cannot be computed (shown beside the empty value on the form) -------------
    "calc.missing": lambda p: "Cannot calculate yet: " + ", ".join(_item_label(o) for o in p.get("items") or ())
                              + " missing",
    "calc.refused": "Cannot calculate: {problem}",
    # a grade is never shown empty: what it waits for, by the items' labels
    "calc.cannot_grade": lambda p: "Cannot grade: " + ", ".join(_label_only(o) for o in p.get("items") or ())
                                   + " missing",
    "calc.grade_refused": "Cannot grade: {problem}",

    # -- eligibility criteria (the protocol's wording) ---------------------------------------------------
    "criterion.IN1": "Age >= 5 years at consent",
    "criterion.IN2": "SLE by 2019 EULAR/ACR criteria (ANA >= 1:80; >= 10 points with >= 1 clinical item)",
    "criterion.IN3": "Refractory SLE (>= 3 months glucocorticoid >= 1 mg/kg/d + hydroxychloroquine + >= 2 "
                     "immunosuppressants/biologics), or intolerant of standard treatment",
    "criterion.IN4": "SLEDAI-2K >= 8",
    "criterion.IN5": "LVEF >= 55 % and no obvious ECG abnormality",
    "criterion.IN6": "eGFR >= 30 mL/min/1.73 m²",
    "criterion.IN7": "AST and ALT <= 3.0 x ULN; total bilirubin <= 2.0 x ULN",
    "criterion.IN8": "No serious lung lesions; SpO2 >= 92 %",
    "criterion.IN9": "Meets leukapheresis or venous collection standards",
    "criterion.IN10": "Women of childbearing potential: negative pregnancy test and agreement to contraception",
    "criterion.IN11": "Informed consent signed by the participant or guardian (with assent for children)",
    "criterion.EX": "No exclusion criterion",

    # -- the data an eligibility criterion was decided on ------------------------------------------------
    "could_not_evaluate": "could not evaluate: {error}",
    # IN1
    "age_at_consent": "age {age} y at consent {on}",
    "age_unknown": "age at consent unknown",
    "consent_before_birth": "consent {on} before birth",
    # IN2
    "sle_history_missing": "SLE history not entered",
    "ana_titre": "ANA 1:{titre}",
    "ana_equivalent": "ANA equivalent test positive",
    "ana_titre_missing": "ANA titre missing",
    "ana_low": "ANA 1:{titre} (< 1:{minimum})",
    "ana_negative": "ANA negative",
    "eular_points": "EULAR/ACR 2019 {total} points ({clinical} clinical)",
    # IN3
    "intolerant": "intolerant of standard treatment",
    "intolerance_unreadable": "intolerance unreadable",
    "gc_dose_missing": "glucocorticoid dose missing",
    "gc_dose_unusable": "glucocorticoid dose unusable ({dose} mg/d, {weight} kg)",
    "gc_per_kg": "prednisone-eq {per_kg} mg/kg/d ({drug} {dose} mg/d, {weight} kg)",
    "gc_months": "high-dose GC for {value} months",
    "gc_months_missing": "high-dose GC for missing",
    "hcq_yes": "hydroxychloroquine",
    "hcq_no": "no hydroxychloroquine",
    "hcq_unanswered": "hydroxychloroquine: not answered",
    "immunosuppressants": lambda p: (f"{len(p['received'])} of {p['of']} immunosuppressants "
                                     f"({', '.join(p['received']) or 'none'})"),
    # IN4
    "sledai": "SLEDAI-2K {total}",
    "sledai_from_descriptors": "SLEDAI-2K {total} (from descriptors)",
    "sledai_missing": "SLEDAI-2K missing",
    # IN5
    "lvef": "LVEF {value} %",
    "lvef_missing": "LVEF missing",
    "ecg": lambda p: f"ECG {cl.NORMAL.label(p['finding']).lower()}",
    "ecg_missing": "ECG missing",
    # IN6
    "egfr_calculated": lambda p: (f"eGFR {p['value']} mL/min/1.73 m² ({p['equation']}, age {p['age']} y at "
                                  f"{_WHEN[p['when']]} {p['on']})"),
    "egfr_recorded": lambda p: (f"eGFR {p['value']} mL/min/1.73 m² (as recorded; cannot recalculate: "
                                f"{', '.join(p['absent'])})"),
    "egfr_missing": "eGFR cannot be calculated",
    # IN7
    "ast": _liver("AST", "U/L"),
    "ast_missing": "AST missing",
    "alt": _liver("ALT", "U/L"),
    "alt_missing": "ALT missing",
    "bili": _liver("bilirubin", "µmol/L"),
    "bili_missing": "bilirubin missing",
    # IN8
    "chest_missing": "chest imaging missing",
    "lung_lesion": "serious lung lesion",
    "no_lung_lesion": "no serious lung lesion",
    "spo2": "SpO2 {value} %",
    "spo2_missing": "SpO2 missing",
    "spo2_on_oxygen": "{spo2} on supplemental oxygen (room air required)",
    "oxygen_unreadable": "oxygen answer unreadable",
    # IN9
    "collection_yes": "suitable for collection",
    "collection_no": "not suitable for collection",
    "collection_unanswered": "suitable for collection: not answered",
    "collection_no_because": "not suitable for collection: {reason}",
    # IN10
    "sex_missing": "sex missing",
    "menarche_missing": "menarche not recorded",
    "sterility_unclear": "sterility or menopause unclear",
    "not_wocbp": lambda p: f"not of childbearing potential ({_NOT_WOCBP[p['why']](p)})",
    "wocbp": "of childbearing potential",
    "pregnancy_positive": "pregnancy test positive",
    "pregnancy_indeterminate": "pregnancy test indeterminate",
    "pregnancy_urine": "urine pregnancy test (screening needs serum)",
    "pregnancy_missing": "pregnancy test missing",
    "pregnancy_negative": "negative serum pregnancy test {on}",
    "contraception_yes": "agrees to contraception",
    "contraception_no": "no contraception agreement",
    "contraception_unanswered": "agrees to contraception: not answered",
    # IN11
    "no_consent": "no consent recorded",
    "consents_signed": lambda p: (f"age {p['age']} y at consent: "
                                  f"{_pairs(p['signed'], 'by') or 'no complete consent record'}"),
    "consents_needed": lambda p: "needs " + _pairs(p["needed"], "signed by"),
    # EX
    "exclusions_present": lambda p: "present: " + ", ".join(_exclusion(o, p.get("other")) for o in p["present"]),
    "exclusions_missing": "exclusion answers missing",
    "no_exclusion": "no exclusion criterion present",
}

CATALOGUES: dict[str, Mapping[str, Template]] = {"en": EN}
SEPARATOR = {"en": "; "}  # between the parts of a joined message


def render(stored, lang: str = "en") -> str:
    """Words for a stored text: a :class:`Msg`, its JSON-ready dict, its encoded string, or anything else
    (a legacy sentence, a user's note) as it is. Never raises."""
    if stored is None:
        return ""
    msg = stored if isinstance(stored, Msg) else from_data(stored) if isinstance(stored, Mapping) else \
        decode(stored) if isinstance(stored, str) else None
    if msg is None:
        return stored if isinstance(stored, str) else str(stored)
    return _say(msg, lang)


def criterion_label(code: str, lang: str = "en") -> str:
    """The protocol's wording of an eligibility criterion (IN1..IN11, EX)."""
    return _template(f"criterion.{code}", lang) or code


def _template(code: str, lang: str) -> Template | None:
    return CATALOGUES.get(lang, EN).get(code) or EN.get(code)


def _say(msg: Msg, lang: str) -> str:
    if msg.code == JOIN:
        return SEPARATOR.get(lang, "; ").join(t for part in msg.params.get("parts") or () if (t := _part(part, lang)))
    if msg.code == LEGACY:
        return str(msg.params.get("text") or "")
    template = _template(msg.code, lang)
    params = {k: _word(v, lang) for k, v in msg.params.items()}
    try:
        if callable(template):
            return template(params)
        if template is not None:
            return template.format_map({k: ", ".join(map(str, v)) if isinstance(v, list) else v
                                        for k, v in params.items()})
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        pass  # a message stored with parameters its template no longer takes: fall through to the raw form
    return _raw(msg.code, params)


def _part(part, lang: str) -> str:
    return _say(part, lang) if isinstance(part, Msg) else render(part, lang)


def _word(value, lang: str):
    if isinstance(value, Msg):
        return _say(value, lang)
    if isinstance(value, list):
        return [_word(v, lang) for v in value]
    return value


def _raw(code: str, params: dict) -> str:
    """An unknown code still says what it holds, so nothing stored is ever hidden from a reader."""
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    return f"{code} ({shown})" if shown else code
