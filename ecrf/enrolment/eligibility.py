"""Eligibility engine: evaluates inclusion criteria IN1-IN11 and the exclusions from stored values.

Pure (no Flask, no database): :func:`evaluate` takes the subject's screening item values and
F.DM values as canonical stored strings keyed by item OID, plus the F.IC consent records, and
returns one :class:`Criterion` per rule with status "met", "not_met" or "missing". Unparseable
values count as missing; nothing raises. Rules, in order, are the table "Eligibility (inclusion
criteria, as the eCRF evaluates them)" of docs/reference/protocol-brief.md and its exclusion
paragraph; the formulas are those of ``ecrf.clinical``. Rules for IN2-IN7 are in
``eligibility_rules``; the subject-level and investigator rules (IN1, IN8-IN11, EX) are here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from ecrf.clinical import wocbp
from ecrf.enrolment import eligibility_rules as r
from ecrf.enrolment.eligibility_rules import DOB, SEX, Check, Values, all_of, answered, at_least, lacking
from ecrf.study import protocol
from ecrf.study.crfs import codelists as cl
from ecrf.study.crfs.subject import STERIL

MET, NOT_MET, MISSING = "met", "not_met", "missing"

LABELS: dict[str, str] = {
    "IN1": "Age >= 5 years at consent",
    "IN2": "SLE by 2019 EULAR/ACR criteria (ANA >= 1:80; >= 10 points with >= 1 clinical item)",
    "IN3": "Refractory SLE (>= 3 months glucocorticoid >= 1 mg/kg/d + hydroxychloroquine + >= 2 "
           "immunosuppressants/biologics), or intolerant of standard treatment",
    "IN4": "SLEDAI-2K >= 8",
    "IN5": "LVEF >= 55 % and no obvious ECG abnormality",
    "IN6": "eGFR >= 30 mL/min/1.73 m²",
    "IN7": "AST and ALT <= 3.0 x ULN; total bilirubin <= 2.0 x ULN",
    "IN8": "No serious lung lesions; SpO2 >= 92 %",
    "IN9": "Meets leukapheresis or venous collection standards",
    "IN10": "Women of childbearing potential: negative pregnancy test and agreement to contraception",
    "IN11": "Informed consent signed by the participant or guardian (with assent for children)",
    "EX": "No exclusion criterion",
}


@dataclass(frozen=True)
class Criterion:
    """One criterion's outcome: ``value`` is the data used, ``missing`` the OIDs lacking for it."""

    code: str
    label: str
    status: str  # met | not_met | missing
    value: str
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Eligibility:
    """All criteria, IN1..IN11 then EX."""

    criteria: list[Criterion]

    @property
    def all_met(self) -> bool:
        return all(c.status == MET for c in self.criteria)

    @property
    def failed(self) -> list[str]:
        return [c.code for c in self.criteria if c.status == NOT_MET]

    @property
    def missing(self) -> list[str]:
        return [c.code for c in self.criteria if c.status == MISSING]

    def __getitem__(self, code: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(code)


def first_consent(consents: Sequence[Mapping[str, str | None]], tz: ZoneInfo = r.UTC) -> date | None:
    """The earliest consent date (the site's date of I.IC.DTC); None if any record's date is unreadable."""
    days = [r.parse_day(c.get("I.IC.DTC"), tz) if isinstance(c, Mapping) else None for c in consents or ()]
    return min(days) if days and None not in days else None


# -- IN1: protocol-brief.md IN1 "Age >= 5 years at consent"; date of birth, consent date (the first one).
def _age(v: Values, first: date | None) -> Check:
    age = r.age_on(v, first)
    if age is None:
        absent = [o for o, x in ((DOB, v.day(DOB)), ("I.IC.DTC", first)) if x is None]
        return lacking(f"consent {first} before birth" if not absent else "age at consent unknown",
                       *(absent or (DOB, "I.IC.DTC")))
    return Check(age >= protocol.active().min_age_years, f"age {age} y at consent {first}")


# -- IN8: protocol-brief.md IN8 "No serious lung lesions; SpO2 >= 92 %"; chest imaging result, SpO2
# (on room air per the F.VS help text: an SpO2 measured on supplemental oxygen does not count).
def _lungs(v: Values) -> Check:
    lesion = v.flag("I.CHEST.SERLUNG")
    lesion_check = (lacking("chest imaging missing", "I.CHEST.SERLUNG") if lesion is None
                    else Check(not lesion, "serious lung lesion" if lesion else "no serious lung lesion"))
    spo2 = at_least(v, "I.VS.SPO2", "SpO2", 92, " %")
    on_oxygen = v.flag("I.VS.O2SUP", default=False)
    if on_oxygen is None:
        spo2 = all_of(spo2, lacking("oxygen answer unreadable", "I.VS.O2SUP"))
    elif on_oxygen and spo2.ok is not None:
        spo2 = Check(False, f"{spo2.text} on supplemental oxygen (room air required)")
    return all_of(lesion_check, spo2)


# -- IN9: protocol-brief.md IN9 "Meets leukapheresis or venous collection standards"; investigator
# assessment (yes/no, reason).
def _collection(v: Values) -> Check:
    check = answered(v, "I.ELIG.LEUKOK", "suitable for collection", "not suitable for collection")
    reason = v.text("I.ELIG.LEUKRSN")
    return Check(False, f"{check.text}: {reason}") if reason and check.ok is False else check


# -- IN10: protocol-brief.md IN10 "Women of childbearing potential: negative pregnancy test, agreement to
# effective contraception for 1 year after infusion"; sex, menarche, sterility/menopause, pregnancy
# test, contraception agreement. The screening test is serum (protocol-brief.md "Pregnancy tests").
def _childbearing(v: Values) -> Check:
    sex = v.code(SEX, cl.SEX)
    menarche = v.flag("I.DM.MENARCHE")
    sterile, postmeno = v.flag("I.DM.STERIL", default=False), v.flag("I.DM.POSTMENO", default=False)
    procedure = v.code("I.DM.STERILTYP", STERIL) if sterile else None
    if sex is None:
        return lacking("sex missing", SEX)
    if sex == "F" and menarche:
        unknown = [o for o, bad in (("I.DM.STERIL", sterile is None), ("I.DM.POSTMENO", postmeno is None),
                                    ("I.DM.STERILTYP", sterile and procedure is None)) if bad]
        if unknown:
            return lacking("sterility or menopause unclear", *unknown)
    elif sex == "F" and menarche is None:
        return lacking("menarche not recorded", "I.DM.MENARCHE")
    status = wocbp.wocbp_status("female" if sex == "F" else "male", menarche,
                                (procedure,) if procedure else (), bool(postmeno))
    if not status.is_wocbp:
        return Check(True, f"not of childbearing potential ({status.detail.replace(' (', '; ').rstrip(')')})")
    result, specimen = v.code("I.PREG.RES", cl.POSNEG), v.code("I.PREG.SPEC", cl.SPECIMEN)
    taken = v.day("I.PREG.DTC")
    if result in ("POS", "IND"):
        test = Check(False, "pregnancy test positive" if result == "POS" else "pregnancy test indeterminate")
    elif specimen == "URINE":
        test = Check(False, "urine pregnancy test (screening needs serum)")
    elif None in (result, specimen, taken):
        test = lacking("pregnancy test missing", *(o for o, x in (("I.PREG.RES", result), ("I.PREG.SPEC", specimen),
                                                                   ("I.PREG.DTC", taken)) if x is None))
    else:
        test = Check(True, f"negative serum pregnancy test {taken}")
    agree = answered(v, "I.CONTRA.AGREE", "agrees to contraception", "no contraception agreement")
    return all_of(Check(True, "of childbearing potential"), test, agree)


# -- IN11: protocol-brief.md IN11 "Informed consent signed by the participant or guardian (with assent for
# children)"; consent records. From adult_age: ADULT consent signed by the PARTICIPANT; below it a
# GUARDIAN permission signed by the LAR, plus from assent_age an ASSENT signed by the PARTICIPANT.
# The documents needed follow the age at the first consent.
def _consent(v: Values, consents: Sequence[Mapping[str, str | None]], first: date | None,
             assent_age: int, adult_age: int) -> Check:
    records = [Values(c) for c in consents or () if isinstance(c, Mapping)]
    if not records:
        return lacking("no consent recorded", "I.IC.DTC", "I.IC.TYPE", "I.IC.SIGNER")
    age = _age(v, first)
    if age.ok is None:
        return age
    years = r.age_on(v, first)
    signed = [(c.code("I.IC.TYPE", cl.ICF_TYPE), c.code("I.IC.SIGNER", cl.SIGNER)) for c in records]
    if years >= adult_age:
        needed = [("ADULT", "PARTICIPANT")]
    else:
        needed = [("GUARDIAN", "LAR")] + ([("ASSENT", "PARTICIPANT")] if years >= assent_age else [])
    absent = [n for n in needed if n not in signed]
    have = ", ".join(f"{t} by {s}" for t, s in signed if t and s) or "no complete consent record"
    text = f"age {years} y at consent: {have}"
    if not absent:
        return Check(True, text)
    unknown = [o for t, s in signed for o, x in (("I.IC.TYPE", t), ("I.IC.SIGNER", s)) if x is None]
    if unknown:
        return lacking(text, *dict.fromkeys(unknown))
    return Check(False, text + "; needs " + ", ".join(f"{t} signed by {s}" for t, s in absent))


# -- EX: protocol-brief.md exclusion paragraph: "a configurable list (the usual ones: active infection,
# HBV/HCV/HIV/syphilis positive, CNS lupus needing treatment, pregnancy or lactation, prior CAR-T or
# gene therapy, malignancy, major organ dysfunction)": the required F.ELIG answers; also, when
# positive, prior CAR-T/gene therapy (F.PRIORTX) and the investigator's "other exclusion" text.
EXCLUSIONS: tuple[tuple[str, str], ...] = (
    ("I.ELIG.INFECT", "active uncontrolled infection"),
    ("I.ELIG.CNSLUP", "CNS lupus needing treatment"),
    ("I.ELIG.PREGLACT", "pregnant or breastfeeding"),
    ("I.ELIG.MALIG", "malignancy"),
    ("I.ELIG.ORGAN", "major organ dysfunction"),
)


def _exclusions(v: Values) -> Check:
    answers = {oid: (label, v.flag(oid)) for oid, label in EXCLUSIONS}
    gene = v.flag("I.PRIORTX.GENETX", default=False)
    if gene is not False:
        answers["I.PRIORTX.GENETX"] = ("prior CAR-T or gene therapy", gene)
    if v.text("I.ELIG.OTHEREX"):
        answers["I.ELIG.OTHEREX"] = (f"other: {v.text('I.ELIG.OTHEREX')}", True)
    present = [f"{label} ({oid})" for oid, (label, answer) in answers.items() if answer]
    unknown = [oid for oid, (_, answer) in answers.items() if answer is None]
    if present:
        return Check(False, "present: " + ", ".join(present))
    if unknown:
        return lacking("exclusion answers missing", *unknown)
    return Check(True, "no exclusion criterion present")


def _criterion(code: str, rule) -> Criterion:
    try:
        check = rule()
    except (ValueError, TypeError, ArithmeticError) as exc:  # last resort: bad data never raises
        check = lacking(f"could not evaluate: {exc}")
    status = MET if check.ok else NOT_MET if check.ok is False else MISSING
    return Criterion(code, LABELS[code], status, check.text, list(check.missing) if status == MISSING else [])


def evaluate(screening: dict[str, str | None], consents: list[dict[str, str | None]], *,
             assent_age: int | None = None, adult_age: int | None = None, tz: ZoneInfo = r.UTC) -> Eligibility:
    """Evaluate IN1..IN11 and the exclusions for one subject (see the module docstring); ages default to the
    protocol's."""
    assent_age = protocol.active().assent_age_years if assent_age is None else assent_age
    adult_age = protocol.active().adult_age_years if adult_age is None else adult_age
    v = Values(screening, tz)  # date-times count by the site's calendar day
    first = first_consent(consents, tz)
    rules = {
        "IN1": lambda: _age(v, first),
        "IN2": lambda: r.sle_classified(v),
        "IN3": lambda: r.refractory(v),
        "IN4": lambda: r.sledai_active(v),
        "IN5": lambda: r.heart(v),
        "IN6": lambda: r.kidney(v, first),
        "IN7": lambda: r.liver(v),
        "IN8": lambda: _lungs(v),
        "IN9": lambda: _collection(v),
        "IN10": lambda: _childbearing(v),
        "IN11": lambda: _consent(v, consents, first, assent_age, adult_age),
        "EX": lambda: _exclusions(v),
    }
    return Eligibility([_criterion(code, rule) for code, rule in rules.items()])
