"""Rules IN2-IN7 of :mod:`ecrf.enrolment.eligibility`, and the typed reading of stored values they share.

:class:`Values` reads canonical stored strings (see ``ecrf.study.validation``) and turns an absent
or unparseable value into None, so bad data is "missing" and never raises. A rule returns a
:class:`Check`: ``ok`` True (met), False (not met) or None (undetermined; the OIDs in ``missing``).
Parts combine in three-valued (Kleene) logic: a part known to fail makes the criterion not met
even when other parts are missing. Optional yes/no items (the EULAR/ACR and SLEDAI-2K tick-boxes,
ANAEQUIV, STDINT) count as "no" when unanswered; unanswered required items are missing.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ecrf.clinical import eular_acr, renal, sledai, steroids
from ecrf.clinical.body import age_years
from ecrf.study import codec, protocol
from ecrf.study.crfs import codelists as cl
from ecrf.study.messages import Msg, join
from ecrf.study.types import CodeList

DOB, SEX = "I.DM.BRTHDAT", "I.DM.SEX"
UTC = ZoneInfo("UTC")


class Values:
    """Typed, never-raising access to stored values by OID (None = absent or unparseable)."""

    def __init__(self, data: Mapping[str, object] | None, tz: ZoneInfo = UTC):
        self._data = data if isinstance(data, Mapping) else {}
        self.tz = tz

    def given(self, oid: str) -> bool:
        value = self._data.get(oid)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def text(self, oid: str) -> str | None:
        value = self._data.get(oid)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def flag(self, oid: str, default: bool | None = None) -> bool | None:
        """A yes/no answer as a bool; ``default`` if unanswered (optional tick-boxes); None if bad."""
        value = self.text(oid)
        if value in ("true", "false"):
            return value == "true"
        return None if self.given(oid) else default

    def decimal(self, oid: str) -> Decimal | None:
        value = self.text(oid)
        try:
            number = Decimal(value) if value is not None else None
        except (InvalidOperation, ValueError):
            return None
        return number if number is not None and number.is_finite() and abs(number.adjusted()) < 20 else None

    def integer(self, oid: str) -> int | None:
        number = self.decimal(oid)
        return int(number) if number is not None and number == number.to_integral_value() else None

    def day(self, oid: str) -> date | None:
        """A date item, or the site-local calendar date of a date-time item (as the calculators use)."""
        return parse_day(self.text(oid), self.tz)

    def code(self, oid: str, codelist: CodeList) -> str | None:
        value = self.text(oid)
        return value if value in codelist.values else None


def parse_day(value: object, tz: ZoneInfo = UTC) -> date | None:
    """The date of "YYYY-MM-DD", or the date at the site (``tz``) of an ISO date-time with its offset; None if
    unparseable."""
    return codec.local_date(value.strip(), tz) if isinstance(value, str) else None


@dataclass(frozen=True)
class Check:
    """A three-valued outcome: ok True/False/None, what it was decided on (a message code with its
    parameters: the words are the faces' business) and the missing OIDs."""

    ok: bool | None
    msg: Msg | None
    missing: tuple[str, ...] = ()


def lacking(msg: Msg | None, *oids: str) -> Check:
    return Check(None, msg, tuple(dict.fromkeys(oids)))


def all_of(*checks: Check) -> Check:
    """Kleene AND: False if any part fails, else None if any part is unknown, else True."""
    msg = join(*(c.msg for c in checks))
    if any(c.ok is False for c in checks):
        return Check(False, msg)
    if any(c.ok is None for c in checks):
        return lacking(msg, *(o for c in checks if c.ok is None for o in c.missing))
    return Check(True, msg)


def any_of(*checks: Check) -> Check:
    """Kleene OR: the first part that holds, else False if all fail, else None."""
    for check in checks:
        if check.ok:
            return check
    msg = join(*(c.msg for c in checks))
    if all(c.ok is False for c in checks):
        return Check(False, msg)
    return lacking(msg, *(o for c in checks if c.ok is None for o in c.missing))


def at_least(values: Values, oid: str, what: str, minimum: int | str) -> Check:
    """A number that must reach ``minimum``; messages ``what`` (with the value) and ``what``_missing."""
    number = values.decimal(oid)
    if number is None:
        return lacking(Msg(f"{what}_missing"), oid)
    return Check(number >= Decimal(minimum), Msg(what, value=number))


def answered(values: Values, oid: str, what: str) -> Check:
    """A required yes/no item that must be "yes" (missing if unanswered); messages ``what``_yes, _no,
    _unanswered."""
    answer = values.flag(oid)
    if answer is None:
        return lacking(Msg(f"{what}_unanswered"), oid)
    return Check(answer, Msg(f"{what}_yes" if answer else f"{what}_no"))


def floor(x: float, places: int) -> Decimal:
    """Round down for display, so a shown value never crosses a >= threshold the raw one missed."""
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)


def age_on(values: Values, day: date | None) -> int | None:
    dob = values.day(DOB)
    if dob is None or day is None or day < dob:
        return None
    return age_years(dob, day)


def bounded(known: set[str], unknown: set[str], passes) -> bool | None:
    """True if ``passes`` holds on the items known present; False if not even with every unreadable
    item present too; None otherwise. Valid because both scores only grow as items are added."""
    if passes(known):
        return True
    return None if passes(known | unknown) else False


def ticked(values: Values, oids: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """Ids of the optional tick-boxes answered yes, and of those with an unreadable value."""
    flags = {i: values.flag(oid, default=False) for i, oid in oids.items()}
    return {i for i, f in flags.items() if f}, {i for i, f in flags.items() if f is None}


# -- IN2: protocol-brief.md IN2 "SLE by 2019 EULAR/ACR criteria (ANA >= 1:80 entry; >= 10 points with
# >= 1 clinical item)"; SLE history form: ANA titre, each criterion item.
EULAR_OIDS = {c.id: f"I.SLEHX.{c.id.upper()}" for d in eular_acr.DOMAINS for c in d.items}


def sle_classified(values: Values) -> Check:
    if not any(values.given(o) for o in ("I.SLEHX.ANATITRE", "I.SLEHX.ANAEQUIV", *EULAR_OIDS.values())):
        return lacking(Msg("sle_history_missing"), "I.SLEHX.ANATITRE")  # unsaved: no tick-box means "no" yet
    titre, equiv = values.integer("I.SLEHX.ANATITRE"), values.flag("I.SLEHX.ANAEQUIV", default=False)
    titre = titre if titre is not None and titre >= 0 else None
    if titre is not None and titre >= eular_acr.ANA_MIN_TITRE_DENOMINATOR:
        entry = Check(True, Msg("ana_titre", titre=titre))
    elif equiv:
        entry = Check(True, Msg("ana_equivalent"))
    elif titre is None or equiv is None:
        entry = lacking(Msg("ana_titre_missing"), *(o for o, x in (("I.SLEHX.ANATITRE", titre),
                                                              ("I.SLEHX.ANAEQUIV", equiv)) if x is None))
    else:
        entry = Check(False, Msg("ana_low", titre=titre, minimum=eular_acr.ANA_MIN_TITRE_DENOMINATOR) if titre
                      else Msg("ana_negative"))
    known, unknown = ticked(values, EULAR_OIDS)
    outcome = eular_acr.classify(True, known)
    points = Msg("eular_points", total=outcome.total, clinical=outcome.clinical_points)
    ok = bounded(known, unknown, lambda ids: eular_acr.classify(True, ids).classified)
    return all_of(entry, Check(ok, points, tuple(EULAR_OIDS[i] for i in sorted(unknown)) if ok is None else ()))


# -- IN3: protocol-brief.md IN3 "Refractory: >= 3 months of high-dose glucocorticoid (prednisone >=
# 1 mg/kg/d or equivalent) + hydroxychloroquine + >= 2 of [11 drugs]; or intolerant of standard
# treatment"; prior treatment history and weight.


def _high_dose_gc(values: Values) -> Check:
    drug = values.code("I.PRIORTX.GCDRUG", cl.GCDRUG)
    dose, weight = values.decimal("I.PRIORTX.GCDOSE"), values.decimal("I.PRIORTX.GCWT")
    absent = [o for o, x in (("I.PRIORTX.GCDRUG", drug), ("I.PRIORTX.GCDOSE", dose), ("I.PRIORTX.GCWT", weight))
              if x is None]
    if absent:
        return lacking(Msg("gc_dose_missing"), *absent)
    try:
        per_kg = steroids.prednisone_equivalent_mg_per_kg(drug, float(dose), float(weight))
    except ValueError:
        return lacking(Msg("gc_dose_unusable", dose=dose, weight=weight), "I.PRIORTX.GCDOSE", "I.PRIORTX.GCWT")
    return Check(steroids.is_high_dose(per_kg, protocol.active().gc_high_dose_mg_per_kg_per_day),
                 Msg("gc_per_kg", per_kg=floor(per_kg, 2), drug=drug, dose=dose, weight=weight))


def _immunosuppressants(values: Values) -> Check:
    answers = {code: values.flag(f"I.PRIORTX.{code}") for code, _ in cl.IMMUNOSUPPRESSANTS}
    received = [code for code, answer in answers.items() if answer]
    unknown = [f"I.PRIORTX.{code}" for code, answer in answers.items() if answer is None]
    msg = Msg("immunosuppressants", received=received, of=len(answers))
    minimum = protocol.active().min_immunosuppressants
    if len(received) >= minimum:
        return Check(True, msg)
    return Check(None, msg, tuple(unknown)) if len(received) + len(unknown) >= minimum \
        else Check(False, msg)


def refractory(values: Values) -> Check:
    intolerant = values.flag("I.PRIORTX.STDINT", default=False)
    if intolerant:
        return Check(True, Msg("intolerant"))
    path = all_of(_high_dose_gc(values),
                  at_least(values, "I.PRIORTX.GCMON", "gc_months", protocol.active().gc_min_months),
                  answered(values, "I.PRIORTX.HCQ", "hcq"),
                  _immunosuppressants(values))
    other = Check(False, None) if intolerant is False else lacking(Msg("intolerance_unreadable"), "I.PRIORTX.STDINT")
    return any_of(path, other)


# -- IN4: protocol-brief.md IN4 "SLEDAI-2K >= 8"; SLEDAI-2K at screening.
SLEDAI_OIDS = {d.id: f"I.SLEDAI.{d.id.upper()}" for d in sledai.DESCRIPTORS}


def sledai_active(values: Values) -> Check:
    total = values.integer("I.SLEDAI.TOTAL")
    if total is not None and 0 <= total <= sledai.MAX_TOTAL:
        return Check(total >= protocol.active().sledai_min, Msg("sledai", total=total))
    if values.day("I.SLEDAI.DAT") is None:
        return lacking(Msg("sledai_missing"), "I.SLEDAI.TOTAL", "I.SLEDAI.DAT")
    known, unknown = ticked(values, SLEDAI_OIDS)
    ok = bounded(known, unknown, lambda ids: sledai.sledai_2k_total(ids) >= protocol.active().sledai_min)
    missing = tuple(SLEDAI_OIDS[i] for i in sorted(unknown)) if ok is None else ()
    return Check(ok, Msg("sledai_from_descriptors", total=sledai.sledai_2k_total(known)), missing)


# -- IN5: protocol-brief.md IN5 "LVEF >= 55 % and no obvious ECG abnormality"; echocardiogram, ECG.
def heart(values: Values) -> Check:
    ecg = values.code("I.CARDIO.ECG", cl.NORMAL)
    ecg_check = (lacking(Msg("ecg_missing"), "I.CARDIO.ECG") if ecg is None
                 else Check(ecg != "ABN_CS", Msg("ecg", finding=ecg)))
    return all_of(at_least(values, "I.CARDIO.LVEF", "lvef", protocol.active().lvef_min_percent), ecg_check)


# -- IN6: protocol-brief.md IN6 "eGFR >= 30 mL/min/1.73 m2"; creatinine, height, age, sex (Schwartz
# under 18, CKD-EPI 2021 from 18). Age at the chemistry sample date, else at the first consent.
def kidney(values: Values, first_consent: date | None) -> Check:
    sample = values.day("I.CHEM.DTC")
    on, when = (sample, "sample") if sample else (first_consent, "consent")
    creat, height, dob = values.decimal("I.CHEM.CREAT"), values.decimal("I.HTWT.HEIGHT"), values.day(DOB)
    sex = {"F": "female", "M": "male"}.get(values.code(SEX, cl.SEX) or "")
    absent = [o for o, x in (("I.CHEM.CREAT", creat), (SEX, sex), (DOB, dob), ("I.CHEM.DTC", on)) if x is None]
    age = age_on(values, on)
    if not absent and age is None:
        absent = [DOB, "I.CHEM.DTC"]  # sample dated before birth
    if age is not None and age < renal.ADULT_AGE and height is None:
        absent.append("I.HTWT.HEIGHT")
    result = None
    if not absent:
        try:
            result = renal.egfr(renal.creatinine_umol_to_mg_dl(float(creat)), age, sex,
                                float(height) if height is not None else None)
        except ValueError:
            absent = ["I.CHEM.CREAT", "I.HTWT.HEIGHT"]  # zero or out-of-range values
    if result is None:
        recorded = values.decimal("I.CHEM.EGFR")
        if recorded is None:
            return lacking(Msg("egfr_missing"), *absent)
        return Check(recorded >= Decimal(str(protocol.active().egfr_min)),
                     Msg("egfr_recorded", value=recorded, absent=absent))
    return Check(renal.meets_egfr_inclusion(result.value, protocol.active().egfr_min),
                 Msg("egfr_calculated", value=floor(result.value, 1), equation=result.equation, age=age, when=when,
                     on=on))


# -- IN7: protocol-brief.md IN7 "AST and ALT <= 3.0 x ULN; total bilirubin <= 2.0 x ULN"; chemistry with
# the lab's ULN. Exact decimal arithmetic: 3 x 33.3 is 99.9, not 99.89999999999999.
def _within(values: Values, what: str, oid: str, factor: str) -> Check:
    value, uln = values.decimal(oid), values.decimal(f"{oid}ULN")
    if uln is not None and uln <= 0:
        uln = None
    if value is None or uln is None:
        return lacking(Msg(f"{what}_missing"), *(o for o, x in ((oid, value), (f"{oid}ULN", uln)) if x is None))
    limit = Decimal(factor) * uln
    return Check(value <= limit, Msg(what, value=value, limit=limit, factor=factor, uln=uln))


def liver(values: Values) -> Check:
    p = protocol.active()
    return all_of(_within(values, "ast", "I.CHEM.AST", p.transaminase_max_uln),
                  _within(values, "alt", "I.CHEM.ALT", p.transaminase_max_uln),
                  _within(values, "bili", "I.CHEM.BILI", p.bilirubin_max_uln))
