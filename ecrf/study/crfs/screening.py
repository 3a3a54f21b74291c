"""Screening-only assessments: the visit date, infection serology, heart, chest imaging, investigator eligibility.

Inclusion criteria evaluated from these forms: IN5 (LVEF >= 55 % and no obvious ECG abnormality),
IN8 (no serious lung lesion; SpO2 is on F.VS), IN9 (suitable for leukapheresis or venous
collection: investigator judgement). The usual exclusions are recorded on F.ELIG.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import codelist, critical, form, group

IMAGING = codelist(
    "CL.IMAGING", "Chest imaging modality",
    ("CT", "Chest CT"), ("XRAY", "Chest X-ray"), ("OTHER", "Other"),
)

# CDISC SV (subject visits): the date of the screening visit, asked first, since none of the screening forms has a
# date that is the visit's own (the SLE history's dates are years old; the tests' dates are the samples').
SV = form(
    "F.SV", "Visit",
    group(
        "IG.SV.SV", "Visit",
        b.date("I.SV.STDAT", "Visit date", required=True, sdtm="SVSTDTC",
               help="The day the participant was seen for this visit: it dates the visit and its window."),
        domain="SV",
    ),
)

SEROLOGY = form(
    "F.SEROLOGY", "Infection serology",
    group(
        "IG.SEROLOGY.SAMPLE", "Sample",
        b.date("I.SEROLOGY.DAT", "Date of sample", required=True, sdtm="LBDAT",
               help="Date the blood was drawn."),
        domain="LB",
    ),
    group(
        "IG.SEROLOGY.HEP", "Hepatitis B and C",
        b.coded("I.SEROLOGY.HBSAG", "Hepatitis B surface antigen (HBsAg)", cl.POSNEG, required=True,
                sdtm="HBSAG", help="Positive HBsAg usually excludes."),
        b.coded("I.SEROLOGY.HBCAB", "Hepatitis B core antibody (anti-HBc)", cl.POSNEG, required=True,
                sdtm="HBCAB", help="If positive, HBV DNA is required."),
        b.decimal("I.SEROLOGY.HBVDNA", "HBV DNA", "IU/mL", 0, 10000000000, 0,
                  help="Required if HBsAg or anti-HBc is positive; 0 if undetectable."),
        b.coded("I.SEROLOGY.HCVAB", "Hepatitis C antibody", cl.POSNEG, required=True, sdtm="HCAB",
                help="If positive, HCV RNA is required."),
        b.decimal("I.SEROLOGY.HCVRNA", "HCV RNA", "IU/mL", 0, 10000000000, 0,
                  help="Required if the HCV antibody is positive; 0 if undetectable."),
        domain="LB",
    ),
    group(
        "IG.SEROLOGY.OTHER", "HIV, syphilis, CMV",
        b.coded("I.SEROLOGY.HIV", "HIV antigen/antibody", cl.POSNEG, required=True, sdtm="HIV12AB",
                help="Combined HIV-1/2 antigen/antibody test."),
        b.coded("I.SEROLOGY.SYPH", "Syphilis (treponemal antibody)", cl.POSNEG, required=True,
                help="TPPA or treponemal immunoassay; confirm a positive with a non-treponemal test."),
        b.coded("I.SEROLOGY.CMVIGG", "CMV IgG", cl.POSNEG, required=True, sdtm="CMVIGG",
                help="Prior CMV infection; positive participants are monitored for reactivation."),
        b.coded("I.SEROLOGY.CMVIGM", "CMV IgM", cl.POSNEG, sdtm="CMVIGM",
                help="Suggests recent or active infection."),
        b.decimal("I.SEROLOGY.CMVDNA", "CMV DNA", "IU/mL", 0, 100000000, 0,
                  help="If measured; 0 if undetectable."),
        domain="LB",
    ),
)

CARDIO = form(
    "F.CARDIO", "Echocardiogram and ECG",
    group(
        "IG.CARDIO.ECHO", "Echocardiogram",
        b.date("I.CARDIO.ECHODAT", "Date of echocardiogram", required=True,
               help="Date the echocardiogram was performed."),
        b.integer("I.CARDIO.LVEF", "Left ventricular ejection fraction", "%", 5, 90, required=True, sdtm="LVEF",
                  help="IN5 requires 55 % or more."),
        b.flag("I.CARDIO.PEREFF", "Pericardial effusion",
               help="Tick if the echocardiogram shows a pericardial effusion."),
        b.text("I.CARDIO.ECHODESC", "Echocardiogram findings",
               help="Other relevant findings (valves, pulmonary pressure, wall motion)."),
    ),
    group(
        "IG.CARDIO.ECG", "12-lead ECG",
        b.date("I.CARDIO.ECGDAT", "Date of ECG", required=True, sdtm="EGDAT",
               help="Date of the 12-lead ECG."),
        b.coded("I.CARDIO.ECG", "ECG interpretation", cl.NORMAL, required=True, sdtm="INTP",
                help="Abnormal, clinically significant is an obvious ECG abnormality (IN5)."),
        b.integer("I.CARDIO.QTCF", "QTc (Fridericia)", "ms", 250, 700, sdtm="QTCF",
                  help="Corrected QT interval, if reported."),
        b.text("I.CARDIO.ECGDESC", "ECG abnormality, describe",
               help="Required when the ECG is abnormal."),
        domain="EG",
    ),
)

CHEST = form(
    "F.CHEST", "Chest imaging",
    group(
        "IG.CHEST.CHEST", "Chest imaging",
        b.date("I.CHEST.DAT", "Date of imaging", required=True,
               help="Date of the chest CT or X-ray."),
        b.coded("I.CHEST.MODAL", "Modality", IMAGING, required=True,
                help="Chest CT is preferred."),
        b.coded("I.CHEST.RES", "Result", cl.NORMAL, required=True,
                help="Investigator's interpretation of the report."),
        b.flag("I.CHEST.SERLUNG", "Serious lung lesion", required=True,
               help="E.g. active infection, interstitial lung disease, large effusion, mass; excludes (IN8)."),
        b.text("I.CHEST.DESC", "Findings",
               help="Describe abnormal findings."),
    ),
)

ELIG = form(
    "F.ELIG", "Eligibility",
    group(
        "IG.ELIG.INV", "Investigator assessment",
        b.flag("I.ELIG.LEUKOK", "Meets leukapheresis or venous collection standards (IN9)", required=True,
               help="Venous access, haemodynamic stability, blood counts and weight adequate for collection."),
        b.text("I.ELIG.LEUKRSN", "Reason for the leukapheresis assessment",
               help="Give the reason, especially if not suitable or if venous collection is planned instead."),
    ),
    group(
        "IG.ELIG.EXCL", "Exclusion criteria",
        b.flag("I.ELIG.INFECT", "Active uncontrolled infection", required=True,
               help="Bacterial, viral or fungal infection needing treatment at screening."),
        b.flag("I.ELIG.CNSLUP", "CNS lupus needing treatment", required=True,
               help="Active neuropsychiatric lupus requiring treatment."),
        b.flag("I.ELIG.PREGLACT", "Pregnant or breastfeeding", required=True,
               help="Tick for a pregnant or lactating participant."),
        b.flag("I.ELIG.MALIG", "Malignancy", required=True,
               help="Current or previous malignancy as defined by the protocol."),
        b.flag("I.ELIG.ORGAN", "Major organ dysfunction", required=True,
               help="Other major organ dysfunction not covered by the inclusion criteria."),
        b.text("I.ELIG.OTHEREX", "Other exclusion criterion met",
               help="Any other protocol exclusion criterion that applies."),
        domain="IE",
    ),
    group(
        "IG.ELIG.CONF", "Confirmation",
        b.flag("I.ELIG.ELIGIBLE", "Participant is eligible", required=True,
               help="Investigator's conclusion after reviewing all inclusion and exclusion criteria."),
        b.date("I.ELIG.CONFDAT", "Date eligibility confirmed", required=True,
               help="Leukapheresis happens after this date; screening lasts at most 28 days."),
        b.text("I.ELIG.COMMENT", "Comments", identifying="mask",
               help="E.g. which criterion was not met."),
    ),
)

# critical for source-data verification (ecrf.sdv): the investigator's eligibility assessment
ELIG = critical(ELIG, "I.ELIG.LEUKOK", "I.ELIG.INFECT", "I.ELIG.CNSLUP", "I.ELIG.PREGLACT", "I.ELIG.MALIG",
                "I.ELIG.ORGAN", "I.ELIG.ELIGIBLE", "I.ELIG.CONFDAT")

FORMS = (SV, SEROLOGY, CARDIO, CHEST, ELIG)
