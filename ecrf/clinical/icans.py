"""ASTCT ICANS grade with the ICE score (age >= 12) or the CAPD (younger children).

Sources: Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638 (tables as PMC8403007 t0004,
PMC7990806 Tab2); ICE items PMC8153820 T2. CAPD: Traube C et al. Crit Care Med 2014;42:656
(8 items scored 0-4, items 1-4 reverse scored; chop.edu/node/138797). CAPD grading per MDedge
and the ASCO guideline: 1-8 grade 1 (awakens spontaneously) or 2 (to voice), >= 9 grade 3,
unable to perform grade 4. ICANS grade = the worst domain not attributable to another cause: each
domain found attributable to another cause (sedation, a seizure from hyponatraemia ...) is excluded
and does not count (Lee 2019: "not attributable to any other cause"; domain-reference.md 3b).
The age cut-off is configurable: "<12" (ASCO, brief) versus "12 and under" (NCIt C188936).
"""
from __future__ import annotations

from collections.abc import Iterable

from ecrf.clinical import _checks

FORMULA_VERSION = "ASTCT ICANS 2019 (Lee) v2, domains attributable to another cause excluded; ICE; CAPD (Traube 2014)"
CAPD_AGE_CUTOFF = 12  # age < 12 -> CAPD; age >= 12 -> ICE (if developmentally able)
ICE_ITEMS: dict[str, int] = {  # item -> maximum points; total 0-10, 10 = no impairment
    "orientation": 4,  # year, month, city, hospital
    "naming": 3,  # name 3 objects
    "following_commands": 1,
    "writing": 1,  # write a standard sentence
    "attention": 1,  # count backwards from 100 by 10
}
CAPD_FREQUENCIES: tuple[str, ...] = ("never", "rarely", "sometimes", "often", "always")
CAPD_REVERSE_ITEMS = (1, 2, 3, 4)  # eye contact, purposeful actions, aware, communicates: never = 4
CAPD_POSITIVE_MIN = 9

LOC_GRADES: dict[str, int] = {
    "normal": 0,
    "awakens_spontaneously": 1,
    "awakens_to_voice": 2,
    "awakens_only_to_tactile_stimulus": 3,
    "unarousable_or_requires_vigorous_or_repetitive_tactile_stimuli_stupor_coma": 4,
}
SEIZURE_GRADES: dict[str, int] = {
    "none": 0,
    "clinical_seizure_resolving_rapidly_or_nonconvulsive_on_eeg_resolving_with_intervention": 3,
    "life_threatening_prolonged_gt_5min_or_repetitive_without_return_to_baseline": 4,
}
MOTOR_GRADES: dict[str, int] = {
    "none": 0,
    "deep_focal_motor_weakness_hemiparesis_or_paraparesis": 4,
}
ICP_GRADES: dict[str, int] = {
    "none": 0,
    "focal_or_local_edema_on_neuroimaging": 3,
    "diffuse_cerebral_edema_or_decerebrate_decorticate_posturing_or_cn_vi_palsy_or_papilledema_or_cushings_triad": 4,
}
#: the domains of the grade, each of which may be attributable to another cause (then it does not count)
DOMAINS: tuple[str, ...] = ("encephalopathy", "consciousness", "seizure", "motor", "icp")
UNAROUSABLE = "unarousable_or_requires_vigorous_or_repetitive_tactile_stimuli_stupor_coma"


def ice_score(orientation: int, naming: int, following_commands: int, writing: int, attention: int) -> int:
    """Return the ICE score (0-10) from its five item scores."""
    given = {"orientation": orientation, "naming": naming, "following_commands": following_commands,
             "writing": writing, "attention": attention}
    return sum(_checks.integer(f"ICE {item}", int(v) if isinstance(v, bool) else v, 0, ICE_ITEMS[item])
               for item, v in given.items())


def capd_total(responses: Iterable[str]) -> int:
    """Return the CAPD total (0-32) from the 8 answers ('never' ... 'always'), items 1-4 reversed."""
    answers = () if isinstance(responses, (str, bytes)) else tuple(responses)
    if len(answers) != 8:
        raise ValueError(f"CAPD needs exactly 8 answers, got {responses!r}")
    total = 0
    for number, answer in enumerate(answers, start=1):
        key = answer.strip().lower() if isinstance(answer, str) else answer
        _checks.choice(f"CAPD item {number} answer", key, CAPD_FREQUENCIES)
        points = CAPD_FREQUENCIES.index(key)
        total += 4 - points if number in CAPD_REVERSE_ITEMS else points
    return total


def assessment_tool(age_years: float, cutoff: float = CAPD_AGE_CUTOFF) -> str:
    """Return 'CAPD' for an age below the cut-off (default 12), otherwise 'ICE'."""
    return "CAPD" if _checks.non_negative("age (years)", age_years) < cutoff else "ICE"


def ice_domain_grade(ice: int, loc: str = "normal") -> int:
    """Return the ICE-domain grade: 10 -> 0, 7-9 -> 1, 3-6 -> 2, 0-2 -> 3, 0 and unarousable -> 4."""
    _checks.integer("ICE score", ice, 0, 10)
    _checks.choice("level of consciousness", loc, LOC_GRADES)
    if ice == 0:
        return 4 if loc == UNAROUSABLE else 3  # ICE 0 while awake (global aphasia) is grade 3
    if ice <= 2:
        return 3
    if ice <= 6:
        return 2
    return 1 if ice <= 9 else 0


def capd_domain_grade(capd: int | None, capd_unable: bool = False) -> int:
    """Return the CAPD-domain grade: 0 -> 0, 1-8 -> 1, >= 9 -> 3, unable to perform -> 4."""
    _checks.flag("capd_unable", capd_unable)
    if capd_unable:
        return 4
    if capd is None:
        raise ValueError("a CAPD total is required unless the CAPD could not be performed")
    _checks.integer("CAPD total", capd, 0, 32)
    if capd >= CAPD_POSITIVE_MIN:
        return 3
    return 1 if capd >= 1 else 0  # 1-8 is grade 2 when awakening only to voice (consciousness domain)


def icans_domain_grades(*, ice: int | None = None, capd: int | None = None, capd_unable: bool = False,
                        loc: str = "normal", seizure: str = "none", motor: str = "none", icp: str = "none",
                        age_years: float | None = None, capd_age_cutoff: float = CAPD_AGE_CUTOFF,
                        other_cause: Iterable[str] = ()) -> dict[str, int]:
    """Return the grade of each ICANS domain (encephalopathy score, consciousness, seizure, motor, ICP); a domain
    in ``other_cause`` (attributable to another cause) is excluded: its grade is 0."""
    excluded = _checks.id_set("domains attributable to another cause", other_cause, DOMAINS)
    uses_capd = capd is not None or capd_unable
    if ice is not None and uses_capd:
        raise ValueError("give either an ICE score or a CAPD result, not both")
    if ice is not None and age_years is not None and assessment_tool(age_years, capd_age_cutoff) == "CAPD":
        raise ValueError(f"age {age_years} is under {capd_age_cutoff}: assess with the CAPD, not the ICE")
    loc = _checks.choice("level of consciousness", loc, LOC_GRADES)
    if uses_capd:
        score_grade = capd_domain_grade(capd, capd_unable)
    elif ice is not None:  # ICE 0 and unarousable is grade 4 only when the unarousability counts
        score_grade = ice_domain_grade(ice, "normal" if "consciousness" in excluded else loc)
    else:
        score_grade = 0  # not assessed: the other domains still grade
    grades = {
        "encephalopathy": score_grade,
        "consciousness": LOC_GRADES[loc],
        "seizure": SEIZURE_GRADES[_checks.choice("seizure", seizure, SEIZURE_GRADES)],
        "motor": MOTOR_GRADES[_checks.choice("motor finding", motor, MOTOR_GRADES)],
        "icp": ICP_GRADES[_checks.choice("raised ICP / cerebral oedema", icp, ICP_GRADES)],
    }
    return {domain: 0 if domain in excluded else grade for domain, grade in grades.items()}


def icans_grade(*, ice: int | None = None, capd: int | None = None, capd_unable: bool = False,
                loc: str = "normal", seizure: str = "none", motor: str = "none", icp: str = "none",
                age_years: float | None = None, capd_age_cutoff: float = CAPD_AGE_CUTOFF,
                other_cause: Iterable[str] = (), death_due_to_icans: bool = False) -> int:
    """Return the ASTCT ICANS grade 0-5: the worst domain grade not attributable to another cause, or 5 for death
    due to ICANS."""
    grades = icans_domain_grades(ice=ice, capd=capd, capd_unable=capd_unable, loc=loc, seizure=seizure,
                                 motor=motor, icp=icp, age_years=age_years, capd_age_cutoff=capd_age_cutoff,
                                 other_cause=other_cause)
    if _checks.flag("death_due_to_icans", death_due_to_icans):
        return 5
    return max(grades.values())
