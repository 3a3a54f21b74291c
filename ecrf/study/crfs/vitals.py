"""Vital signs, height and weight, physical examination.

Hard limits cover every participant from age 5 up, including the sick (a septic child's heart
rate, a hypotensive adult); values outside them are refused as impossible or mis-typed.
:func:`vital_sign_items` is reused for the vital signs before and after the CAR-T infusion.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import NOT_DONE, Item, codelist, form, group

TEMPLOC = codelist(
    "CL.TEMPLOC", "Temperature site",
    ("AXILLA", "Axillary"), ("ORAL", "Oral"), ("TYMPANIC", "Tympanic"), ("RECTAL", "Rectal"),
    ("FOREHEAD", "Forehead (temporal)"),
)
#: a vital sign that could not be measured is answered "not done" with the reason
ND = (NOT_DONE,)
VSPOS = codelist("CL.VSPOS", "Position", ("SUPINE", "Supine"), ("SITTING", "Sitting"), ("STANDING", "Standing"))


def vital_sign_items(form_code: str, prefix: str = "", when: str = "") -> tuple[Item, ...]:
    """Date/time, temperature, blood pressure, heart rate, respiratory rate and SpO2.

    ``prefix`` distinguishes repeated sets on one form (e.g. ``PRE``/``POST`` on F.INF, giving
    ``I.INF.PRESYSBP``); ``when`` is added to the labels ("before infusion").
    """
    oid = f"I.{form_code}.{prefix}"
    sfx = f" {when}" if when else ""
    return (
        b.datetime(f"{oid}DTC", f"Date and time of measurement{sfx}", required=True, sdtm="VSDTC",
                   help="When the vital signs were measured (site local time)."),
        b.decimal(f"{oid}TEMP", f"Temperature{sfx}", "°C", 30.0, 44.0, 1, required=True, missing_allowed=ND,
                  sdtm="TEMP",
                  help="Body temperature; fever for CRS is 38.0 °C or more."),
        b.integer(f"{oid}SYSBP", f"Systolic blood pressure{sfx}", "mmHg", 40, 280, required=True, missing_allowed=ND,
                  sdtm="SYSBP",
                  help="Use an age-appropriate cuff for children."),
        b.integer(f"{oid}DIABP", f"Diastolic blood pressure{sfx}", "mmHg", 20, 180, required=True, missing_allowed=ND,
                  sdtm="DIABP", help="Must be lower than the systolic pressure."),
        b.integer(f"{oid}HR", f"Heart rate{sfx}", "beats/min", 20, 250, required=True, missing_allowed=ND,
                  sdtm="PULSE",
                  help="Counted over at least 30 seconds or from the monitor."),
        b.integer(f"{oid}RESP", f"Respiratory rate{sfx}", "breaths/min", 4, 80, sdtm="RESP",
                  help="Counted over a full minute."),
        b.integer(f"{oid}SPO2", f"Oxygen saturation (SpO2){sfx}", "%", 50, 100, required=True, missing_allowed=ND,
                  sdtm="OXYSAT",
                  help="Pulse oximetry; screening requires SpO2 of 92 % or more on room air (IN8)."),
    )


VS = form(
    "F.VS", "Vital signs",
    group(
        "IG.VS.VS", "Vital signs",
        *vital_sign_items("VS"),
        b.coded("I.VS.TEMPLOC", "Temperature site", TEMPLOC, sdtm="VSLOC",
                help="Where the temperature was taken; keep the same site at every visit if possible."),
        b.coded("I.VS.POS", "Position for blood pressure", VSPOS, sdtm="VSPOS",
                help="Position of the participant when blood pressure was measured."),
        b.flag("I.VS.O2SUP", "On supplemental oxygen during SpO2 measurement",
               help="Tick if the SpO2 was measured on oxygen; the screening SpO2 is on room air."),
        b.decimal("I.VS.WEIGHT", "Weight", "kg", 8, 250, 1, sdtm="WEIGHT",
                  help="Body weight in light clothing without shoes."),
        domain="VS",
    ),
)

HTWT = form(
    "F.HTWT", "Height and weight",
    group(
        "IG.HTWT.HTWT", "Height and weight",
        b.date("I.HTWT.DAT", "Date measured", required=True, sdtm="VSDAT",
               help="Date of the measurements; height is used for eGFR (Schwartz) and BSA."),
        b.decimal("I.HTWT.HEIGHT", "Height", "cm", 70, 230, 1, required=True, sdtm="HEIGHT",
                  help="Standing height without shoes, measured with a stadiometer."),
        b.decimal("I.HTWT.WEIGHT", "Weight", "kg", 8, 250, 1, required=True, sdtm="WEIGHT",
                  help="Body weight in light clothing without shoes; used for the glucocorticoid mg/kg check."),
        domain="VS",
    ),
)

_PE_SYSTEMS = (
    ("GEN", "General appearance"),
    ("SKIN", "Skin, hair and nails"),
    ("HEENT", "Head, eyes, ears, nose, throat and mouth"),
    ("LYMPH", "Lymph nodes"),
    ("CV", "Cardiovascular"),
    ("RESP", "Respiratory"),
    ("ABD", "Abdomen"),
    ("MSK", "Musculoskeletal and joints"),
    ("NEURO", "Neurological"),
)


def _pe_items() -> tuple[Item, ...]:
    items: list[Item] = []
    for code, system in _PE_SYSTEMS:
        items.append(b.coded(f"I.PE.{code}", system, cl.NORMAL, required=True,
                             help=f"Result of the examination of: {system.lower()}."))
        items.append(b.text(f"I.PE.{code}DESC", f"{system}: abnormal findings",
                            help="Describe each abnormal finding; clinically significant ones at screening go "
                                 "on the medical history, later ones on the AE log."))
    return tuple(items)


PE = form(
    "F.PE", "Physical examination",
    group(
        "IG.PE.DAT", "Examination",
        b.date("I.PE.DAT", "Date of examination", required=True, sdtm="PEDAT",
               help="Date the physical examination was performed."),
        domain="PE",
    ),
    group("IG.PE.PE", "Body systems", *_pe_items(), domain="PE"),
)

FORMS = (VS, HTWT, PE)
