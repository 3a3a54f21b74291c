"""Woman of childbearing potential (WOCBP): from menarche until postmenopausal, unless sterile.

Source: TransCelerate Common Protocol Template, contraception appendix (consistent with CTFG
2014 "Recommendations related to contraception and pregnancy testing in clinical trials"):
not WOCBP if premenarchal; premenopausal with documented hysterectomy, bilateral salpingectomy
or bilateral oophorectomy; or postmenopausal = no menses for 12 months without another medical
cause (a single FSH value is not enough). Menarche is re-checked at each visit in children.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecrf.clinical import _checks

FORMULA_VERSION = "WOCBP per TransCelerate CPT / CTFG 2014"
POSTMENOPAUSAL_AMENORRHOEA_MONTHS = 12
STERILISATION_PROCEDURES: tuple[str, ...] = (
    "hysterectomy",
    "bilateral_salpingectomy",
    "bilateral_oophorectomy",
)  # tubal ligation is contraception, not permanent sterilisation, in this definition


@dataclass(frozen=True)
class WocbpStatus:
    """Whether a participant is a WOCBP, with a reason code and a human-readable explanation."""

    is_wocbp: bool
    reason: str  # male | premenarchal | permanently_sterile | postmenopausal | childbearing_potential
    detail: str


def is_postmenopausal(months_amenorrhoea: float, other_medical_cause: bool = False) -> bool:
    """Return True after >= 12 months without menses that have no other medical cause."""
    months = _checks.non_negative("months of amenorrhoea", months_amenorrhoea)
    return months >= POSTMENOPAUSAL_AMENORRHOEA_MONTHS and not _checks.flag("other_medical_cause",
                                                                             other_medical_cause)


def wocbp_status(sex: str, menarche: bool | None = None, sterilisation: Iterable[str] = (),
                 postmenopausal: bool = False) -> WocbpStatus:
    """Return whether a participant is a woman of childbearing potential, and why."""
    sex = _checks.sex(sex)
    procedures = _checks.id_set("sterilisation procedure(s)", sterilisation, STERILISATION_PROCEDURES)
    _checks.flag("postmenopausal", postmenopausal)
    if sex == "male":
        return WocbpStatus(False, "male", "male participant")
    if menarche is None:
        raise ValueError("menarche status (True/False) is required for a female participant")
    if not _checks.flag("menarche", menarche):
        return WocbpStatus(False, "premenarchal", "premenarchal (re-check at each visit)")
    if procedures:
        names = ", ".join(p.replace("_", " ") for p in STERILISATION_PROCEDURES if p in procedures)
        return WocbpStatus(False, "permanently_sterile", f"permanently sterile: {names}")
    if postmenopausal:
        return WocbpStatus(False, "postmenopausal",
                           f"postmenopausal ({POSTMENOPAUSAL_AMENORRHOEA_MONTHS} months amenorrhoea, no other cause)")
    return WocbpStatus(True, "childbearing_potential", "post-menarche, not permanently sterile, not postmenopausal")


def is_wocbp(sex: str, menarche: bool | None = None, sterilisation: Iterable[str] = (),
             postmenopausal: bool = False) -> bool:
    """Return True for a woman of childbearing potential (see ``wocbp_status`` for the reason)."""
    return wocbp_status(sex, menarche, sterilisation, postmenopausal).is_wocbp
