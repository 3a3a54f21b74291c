"""A complete screening visit for the demo: every required form of SE.SCREENING, values meeting every inclusion
criterion and no exclusion (ecrf.enrolment.eligibility), dated on the visit's days, for an adult of either sex.

Pure data: :func:`forms` returns form OID -> values; ``ecrf.demo`` saves them through capture. History dates
(the SLE diagnosis, the medical history) are years before the visit and never its date.
"""
from __future__ import annotations

from datetime import date, timedelta

from ecrf.clinical import eular_acr, sledai
from ecrf.study.crfs.codelists import IMMUNOSUPPRESSANTS

#: EULAR/ACR 2019 items present (score 16 with an ANA of 1:320): classified as SLE (IN2)
_EULAR = ("acute_cutaneous_lupus", "joint_involvement", "anti_dsdna_or_anti_smith", "low_c3_and_low_c4")
#: SLEDAI-2K descriptors present (14: arthritis, rash, proteinuria, low complement, anti-dsDNA): active (IN4)
SLEDAI_PRESENT = ("arthritis", "rash", "proteinuria", "low_complement", "increased_dna_binding")
#: immunosuppressants tried before (with prednisone 1 mg/kg for 6 months and hydroxychloroquine): refractory (IN3)
_TRIED = ("MMF", "CYC")
_BILAG = {"CONSTITUTIONAL": "E", "MUCOCUTANEOUS": "B", "NEUROPSYCHIATRIC": "E", "MUSCULOSKELETAL": "B",
          "CARDIORESPIRATORY": "E", "GASTROINTESTINAL": "E", "OPHTHALMIC": "E", "RENAL": "B", "HAEMATOLOGICAL": "E"}
_PE = ("GEN", "SKIN", "HEENT", "LYMPH", "CV", "RESP", "ABD", "MSK", "NEURO")
_SEROLOGY = ("HBSAG", "HBCAB", "HCVAB", "HIV", "SYPH", "CMVIGG")
#: the investigator's answers of F.ELIG before confirming: collection possible, no exclusion
ELIG_ANSWERS = {"I.ELIG.LEUKOK": "true", **{f"I.ELIG.{x}": "false" for x in ("INFECT", "CNSLUP", "PREGLACT", "MALIG",
                                                                              "ORGAN")}}


def forms(first: date, *, sex: str, weight: str = "60", height: str = "165", wocbp: bool = False,
          confirmed_on: date | None = None) -> dict[str, dict[str, str]]:
    """The screening forms of a participant seen on ``first`` (bloods and vital signs), with the echo, ECG and chest
    CT on the next day. ``wocbp``: with her serum pregnancy test and contraception agreement. ``confirmed_on``:
    F.ELIG's "eligible" answer and date, as the investigator confirmed it; without, F.ELIG waits for them."""
    day, next_day = first.isoformat(), (first + timedelta(days=1)).isoformat()
    values = {
        "F.SLEHX": {"I.SLEHX.DIAGDAT": (first - timedelta(days=6 * 365)).isoformat(), "I.SLEHX.ANATITRE": "320",
                    **{f"I.SLEHX.{c.id.upper()}": str(c.id in _EULAR).lower()
                       for d in eular_acr.DOMAINS for c in d.items}},
        "F.PRIORTX": {"I.PRIORTX.GCDRUG": "prednisone", "I.PRIORTX.GCDOSE": weight, "I.PRIORTX.GCWT": weight,
                      "I.PRIORTX.GCMON": "6", "I.PRIORTX.HCQ": "true", "I.PRIORTX.STDINT": "false",
                      **{f"I.PRIORTX.{code}": str(code in _TRIED).lower() for code, _ in IMMUNOSUPPRESSANTS}},
        "F.MH": {"I.MH.TERM": "Hypertension", "I.MH.STDAT": (first - timedelta(days=3 * 365)).isoformat(),
                 "I.MH.ONGO": "Y"},
        "F.VS": {"I.VS.DTC": f"{day}T09:30", "I.VS.TEMP": "36.6", "I.VS.SYSBP": "124", "I.VS.DIABP": "78",
                 "I.VS.HR": "76", "I.VS.RESP": "16", "I.VS.SPO2": "98", "I.VS.O2SUP": "false", "I.VS.WEIGHT": weight},
        "F.HTWT": {"I.HTWT.DAT": day, "I.HTWT.HEIGHT": height, "I.HTWT.WEIGHT": weight},
        "F.PE": {"I.PE.DAT": day, **{f"I.PE.{part}": "NORMAL" for part in _PE}},
        "F.HEM": {"I.HEM.DTC": f"{day}T08:00", "I.HEM.WBC": "4.2", "I.HEM.NEUT": "2.6", "I.HEM.LYM": "1.0",
                  "I.HEM.HGB": "118", "I.HEM.PLAT": "190", "I.HEM.CLSIG": "false"},
        "F.CHEM": {"I.CHEM.DTC": f"{day}T08:00", "I.CHEM.CREATORRES": "70", "I.CHEM.CREATU": "umol/L",
                   "I.CHEM.ALT": "30", "I.CHEM.ALTULN": "40", "I.CHEM.AST": "28", "I.CHEM.ASTULN": "40",
                   "I.CHEM.BILI": "10", "I.CHEM.BILIULN": "21", "I.CHEM.CLSIG": "false"},
        "F.IMMUNO": {"I.IMMUNO.DTC": f"{day}T08:00", "I.IMMUNO.DSDNA": "240", "I.IMMUNO.DSDNAU": "IU/mL",
                     "I.IMMUNO.DSDNAULN": "30", "I.IMMUNO.DSDNAMTH": "CLIA", "I.IMMUNO.C3": "0.52",
                     "I.IMMUNO.C3LLN": "0.90", "I.IMMUNO.C4": "0.06", "I.IMMUNO.C4LLN": "0.10", "I.IMMUNO.IGG": "9.8"},
        "F.UA": {"I.UA.DTC": f"{day}T08:00", "I.UA.RBC": "2", "I.UA.WBC": "3", "I.UA.CASTS": "false",
                 "I.UA.UPCR": "1.80", "I.UA.CLSIG": "false"},
        "F.SEROLOGY": {"I.SEROLOGY.DAT": day, **{f"I.SEROLOGY.{test}": "NEG" for test in _SEROLOGY}},
        "F.CARDIO": {"I.CARDIO.ECHODAT": next_day, "I.CARDIO.LVEF": "62", "I.CARDIO.ECGDAT": next_day,
                     "I.CARDIO.ECG": "NORMAL"},
        "F.CHEST": {"I.CHEST.DAT": next_day, "I.CHEST.MODAL": "CT", "I.CHEST.RES": "NORMAL",
                    "I.CHEST.SERLUNG": "false"},
        "F.SLEDAI": {"I.SLEDAI.DAT": day, "I.SLEDAI.LOOKBACK": "10",
                     **{f"I.SLEDAI.{d.id.upper()}": str(d.id in SLEDAI_PRESENT).lower() for d in sledai.DESCRIPTORS}},
        "F.PGA": {"I.PGA.DAT": day, "I.PGA.SCORE": "2.1"},
        "F.BILAG": {"I.BILAG.DAT": day, "I.BILAG.HAEMOLYSIS": "false",
                    **{f"I.BILAG.{d}": g for d, g in _BILAG.items()}},
        "F.GCIS": {"I.GCIS.DAT": day, "I.GCIS.GCYN": "true", "I.GCIS.GCDRUG": "prednisone", "I.GCIS.GCDOSE": "20",
                   "I.GCIS.HCQ": "true", "I.GCIS.ISYN": "true", "I.GCIS.MMF": "true"},
        "F.ELIG": {**ELIG_ANSWERS, **({"I.ELIG.ELIGIBLE": "true", "I.ELIG.CONFDAT": confirmed_on.isoformat()}
                                     if confirmed_on else {})},
    }
    if sex == "F" and wocbp:
        values["F.PREG"] = {"I.PREG.DTC": f"{day}T08:00", "I.PREG.SPEC": "SERUM", "I.PREG.SENS": "25",
                            "I.PREG.RES": "NEG"}
        values["F.CONTRA"] = {"I.CONTRA.DAT": day, "I.CONTRA.AGREE": "true", "I.CONTRA.USE": "true",
                              "I.CONTRA.METHOD": "IUD"}
    return values
