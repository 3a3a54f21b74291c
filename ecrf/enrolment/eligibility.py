"""Eligibility engine: evaluates inclusion criteria IN1-IN11 and the exclusions from stored values.

Pure (no Flask, no database): :func:`evaluate` takes the subject's screening item values and
F.DM values as canonical stored strings keyed by item OID, plus the F.IC consent records, and
returns one :class:`Criterion` per rule with status "met", "not_met" or "missing". Unparseable
values count as missing; nothing raises. Rules, in order, are the table "Eligibility (inclusion
criteria, as the eCRF evaluates them)" of docs/reference/protocol-brief.md and its exclusion
paragraph; the formulas are those of ``ecrf.clinical``. Rules for IN2-IN7 are in
``eligibility_rules``; the subject-level and investigator rules (IN1, IN8-IN11, EX) are here.
A criterion and the data it was decided on are codes with parameters, never sentences: eligibility
snapshots store them, and the faces show them in the reader's language through ``ecrf.study.words``.
"""
from __future__ import annotations

import json
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
from ecrf.study.messages import LEGACY, Msg, from_data, join, to_data

MET, NOT_MET, MISSING = "met", "not_met", "missing"



@dataclass(frozen=True)
class Criterion:
    """One criterion's outcome: ``message`` says the data used (a code with parameters, rendered by
    ``ecrf.study.words``), ``missing`` the OIDs lacking for it."""

    code: str
    status: str  # met | not_met | missing
    message: Msg | None
    missing: list[str] = field(default_factory=list)

    def to_data(self) -> dict:
        """The JSON-ready form an eligibility snapshot stores."""
        return {"code": self.code, "status": self.status, "message": to_data(self.message), "missing": self.missing}


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


def snapshot_json(result: Eligibility) -> str:
    """What an eligibility review stores: every criterion as codes and parameters, no sentence."""
    return json.dumps([c.to_data() for c in result.criteria], ensure_ascii=False, separators=(",", ":"))


def read_snapshot(text: str | None) -> list[Criterion]:
    """The criteria of a stored snapshot, coded or (written before codes) with an English sentence, which
    comes back as a legacy message shown as it is. Entries it cannot read are left out; never raises."""
    try:
        entries = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return []
    criteria = []
    for c in entries if isinstance(entries, list) else ():
        if not isinstance(c, Mapping) or not isinstance(c.get("code"), str) or not isinstance(c.get("status"), str):
            continue
        message = from_data(c.get("message")) if "message" in c else (
            Msg(LEGACY, text=c["value"]) if isinstance(c.get("value"), str) and c["value"] else None)
        missing = [m for m in c["missing"] if isinstance(m, str)] if isinstance(c.get("missing"), list) else []
        criteria.append(Criterion(c["code"], c["status"], message, missing))
    return criteria


def first_consent(consents: Sequence[Mapping[str, str | None]], tz: ZoneInfo = r.UTC) -> date | None:
    """The earliest consent date (the site's date of I.IC.DTC); None if any record's date is unreadable."""
    days = [r.parse_day(c.get("I.IC.DTC"), tz) if isinstance(c, Mapping) else None for c in consents or ()]
    return min(days) if days and None not in days else None


# -- IN1: protocol-brief.md IN1 "Age >= 5 years at consent"; date of birth, consent date (the first one).
def _age(v: Values, first: date | None) -> Check:
    age = r.age_on(v, first)
    if age is None:
        absent = [o for o, x in ((DOB, v.day(DOB)), ("I.IC.DTC", first)) if x is None]
        return lacking(Msg("consent_before_birth", on=first) if not absent else Msg("age_unknown"),
                       *(absent or (DOB, "I.IC.DTC")))
    return Check(age >= protocol.active().min_age_years, Msg("age_at_consent", age=age, on=first))


# -- IN8: protocol-brief.md IN8 "No serious lung lesions; SpO2 >= 92 %"; chest imaging result, SpO2
# (on room air per the F.VS help text: an SpO2 measured on supplemental oxygen does not count).
def _lungs(v: Values) -> Check:
    lesion = v.flag("I.CHEST.SERLUNG")
    lesion_check = (lacking(Msg("chest_missing"), "I.CHEST.SERLUNG") if lesion is None
                    else Check(not lesion, Msg("lung_lesion" if lesion else "no_lung_lesion")))
    spo2 = at_least(v, "I.VS.SPO2", "spo2", protocol.active().spo2_min_percent)
    on_oxygen = v.flag("I.VS.O2SUP", default=False)
    if on_oxygen is None:
        spo2 = all_of(spo2, lacking(Msg("oxygen_unreadable"), "I.VS.O2SUP"))
    elif on_oxygen and spo2.ok is not None:
        spo2 = Check(False, Msg("spo2_on_oxygen", spo2=spo2.msg))
    return all_of(lesion_check, spo2)


# -- IN9: protocol-brief.md IN9 "Meets leukapheresis or venous collection standards"; investigator
# assessment (yes/no, reason).
def _collection(v: Values) -> Check:
    check = answered(v, "I.ELIG.LEUKOK", "collection")
    reason = v.text("I.ELIG.LEUKRSN")  # the investigator's words, kept as typed
    return Check(False, Msg("collection_no_because", reason=reason)) if reason and check.ok is False else check


# -- IN10: protocol-brief.md IN10 "Women of childbearing potential: negative pregnancy test, agreement to
# effective contraception for 1 year after infusion"; sex, menarche, sterility/menopause, pregnancy
# test, contraception agreement. The screening test is serum (protocol-brief.md "Pregnancy tests").
def _childbearing(v: Values) -> Check:
    sex = v.code(SEX, cl.SEX)
    menarche = v.flag("I.DM.MENARCHE")
    sterile, postmeno = v.flag("I.DM.STERIL", default=False), v.flag("I.DM.POSTMENO", default=False)
    procedure = v.code("I.DM.STERILTYP", STERIL) if sterile else None
    if sex is None:
        return lacking(Msg("sex_missing"), SEX)
    if sex == "F" and menarche:
        unknown = [o for o, bad in (("I.DM.STERIL", sterile is None), ("I.DM.POSTMENO", postmeno is None),
                                    ("I.DM.STERILTYP", sterile and procedure is None)) if bad]
        if unknown:
            return lacking(Msg("sterility_unclear"), *unknown)
    elif sex == "F" and menarche is None:
        return lacking(Msg("menarche_missing"), "I.DM.MENARCHE")
    status = wocbp.wocbp_status("female" if sex == "F" else "male", menarche,
                                (procedure,) if procedure else (), bool(postmeno))
    if not status.is_wocbp:
        return Check(True, Msg("not_wocbp", why=status.reason, procedures=[procedure] if procedure else [],
                               months=wocbp.POSTMENOPAUSAL_AMENORRHOEA_MONTHS))
    result, specimen = v.code("I.PREG.RES", cl.POSNEG), v.code("I.PREG.SPEC", cl.SPECIMEN)
    taken = v.day("I.PREG.DTC")
    if result in ("POS", "IND"):
        test = Check(False, Msg("pregnancy_positive" if result == "POS" else "pregnancy_indeterminate"))
    elif specimen == "URINE":
        test = Check(False, Msg("pregnancy_urine"))
    elif None in (result, specimen, taken):
        test = lacking(Msg("pregnancy_missing"), *(o for o, x in (("I.PREG.RES", result), ("I.PREG.SPEC", specimen),
                                                                   ("I.PREG.DTC", taken)) if x is None))
    else:
        test = Check(True, Msg("pregnancy_negative", on=taken))
    agree = answered(v, "I.CONTRA.AGREE", "contraception")
    return all_of(Check(True, Msg("wocbp")), test, agree)


# -- IN11: protocol-brief.md IN11 "Informed consent signed by the participant or guardian (with assent for
# children)"; consent records. From adult_age: ADULT consent signed by the PARTICIPANT; below it a
# GUARDIAN permission signed by the LAR, plus from assent_age an ASSENT signed by the PARTICIPANT.
# The documents needed follow the age at the first consent.
def _consent(v: Values, consents: Sequence[Mapping[str, str | None]], first: date | None,
             assent_age: int, adult_age: int) -> Check:
    records = [Values(c) for c in consents or () if isinstance(c, Mapping)]
    if not records:
        return lacking(Msg("no_consent"), "I.IC.DTC", "I.IC.TYPE", "I.IC.SIGNER")
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
    msg = Msg("consents_signed", age=years, signed=[[t, s] for t, s in signed if t and s])
    if not absent:
        return Check(True, msg)
    unknown = [o for t, s in signed for o, x in (("I.IC.TYPE", t), ("I.IC.SIGNER", s)) if x is None]
    if unknown:
        return lacking(msg, *dict.fromkeys(unknown))
    return Check(False, join(msg, Msg("consents_needed", needed=[list(n) for n in absent])))


# -- EX: protocol-brief.md exclusion paragraph: "a configurable list (the usual ones: active infection,
# HBV/HCV/HIV/syphilis positive, CNS lupus needing treatment, pregnancy or lactation, prior CAR-T or
# gene therapy, malignancy, major organ dysfunction)": the required F.ELIG answers; also, when
# positive, prior CAR-T/gene therapy (F.PRIORTX) and the investigator's "other exclusion" text.
EXCLUSIONS: tuple[str, ...] = ("I.ELIG.INFECT", "I.ELIG.CNSLUP", "I.ELIG.PREGLACT", "I.ELIG.MALIG", "I.ELIG.ORGAN")


def _exclusions(v: Values) -> Check:
    answers = {oid: v.flag(oid) for oid in EXCLUSIONS}
    gene = v.flag("I.PRIORTX.GENETX", default=False)
    if gene is not False:
        answers["I.PRIORTX.GENETX"] = gene
    other = v.text("I.ELIG.OTHEREX")  # the investigator's words, kept as typed
    if other:
        answers["I.ELIG.OTHEREX"] = True
    present = [oid for oid, answer in answers.items() if answer]
    unknown = [oid for oid, answer in answers.items() if answer is None]
    if present:
        return Check(False, Msg("exclusions_present", present=present, **({"other": other} if other else {})))
    if unknown:
        return lacking(Msg("exclusions_missing"), *unknown)
    return Check(True, Msg("no_exclusion"))


def _criterion(code: str, rule) -> Criterion:
    try:
        check = rule()
    except (ValueError, TypeError, ArithmeticError) as exc:  # last resort: bad data never raises
        check = lacking(Msg("could_not_evaluate", error=str(exc)))
    status = MET if check.ok else NOT_MET if check.ok is False else MISSING
    return Criterion(code, status, check.msg, list(check.missing) if status == MISSING else [])


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
