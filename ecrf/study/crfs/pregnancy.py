"""Pregnancy test, contraception and pregnancy report.

Women of childbearing potential (from menarche until postmenopausal, unless permanently sterile)
have a test at screening (serum), within 72 hours before lymphodepletion, before infusion and at
day 28 and months 2-12, and agree to effective contraception until 1 year after infusion (IN10).
A pregnancy is reported to the sponsor within 24 hours and followed to outcome.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import codelist, form, group

CONTRA_METHOD = codelist(
    "CL.CONTRA", "Contraceptive method",
    ("COMBINED", "Combined hormonal (oral, patch, ring)"),
    ("PROGESTOGEN", "Progestogen-only (oral, injectable, implant)"),
    ("IUD", "Intrauterine device"),
    ("IUS", "Hormonal intrauterine system"),
    ("TUBAL", "Bilateral tubal occlusion"),
    ("VASECTOMY", "Vasectomised sole partner"),
    ("ABSTINENCE", "Sexual abstinence"),
    ("BARRIER", "Barrier method with spermicide"),
    ("OTHER", "Other"),
)
PREGSUBJ = codelist(
    "CL.PREGSUBJ", "Who is pregnant",
    ("PARTICIPANT", "Female participant"),
    ("PARTNER", "Female partner of a male participant"),
)
PREGOUT = codelist(
    "CL.PREGOUT", "Pregnancy outcome",
    ("ONGOING", "Ongoing"),
    ("LIVE_BIRTH", "Live birth"),
    ("SPONTANEOUS_ABORTION", "Spontaneous abortion (report as SAE)"),
    ("ELECTIVE_TERMINATION", "Elective termination"),
    ("STILLBIRTH", "Stillbirth"),
    ("ECTOPIC", "Ectopic pregnancy"),
    ("UNKNOWN", "Unknown / lost to follow-up"),
)

PREG = form(
    "F.PREG", "Pregnancy test",
    group(
        "IG.PREG.PREG", "Pregnancy test",
        b.datetime("I.PREG.DTC", "Date and time of sample", required=True, sdtm="LBDTC",
                   help="Before lymphodepletion the test must be within 72 hours; before infusion on day 0."),
        b.coded("I.PREG.SPEC", "Specimen", cl.SPECIMEN, required=True, sdtm="LBSPEC",
                help="Serum at screening; serum or urine afterwards."),
        b.integer("I.PREG.SENS", "Test sensitivity", "mIU/mL", 1, 100,
                  help="hCG detection limit of the test used, e.g. 25 mIU/mL for most urine tests."),
        b.coded("I.PREG.RES", "Result", cl.POSNEG, required=True, sdtm="HCG",
                help="A positive result excludes the participant before infusion; after infusion complete "
                     "the pregnancy report."),
        domain="LB",
    ),
    help="Women of childbearing potential only.",
)

CONTRA = form(
    "F.CONTRA", "Contraception",
    group(
        "IG.CONTRA.CONTRA", "Contraception",
        b.date("I.CONTRA.DAT", "Date assessed", required=True,
               help="Date the contraception agreement and use were reviewed with the participant."),
        b.flag("I.CONTRA.AGREE", "Agrees to effective contraception until 1 year after infusion", required=True,
               help="Inclusion criterion IN10 for women of childbearing potential."),
        b.flag("I.CONTRA.USE", "Using the agreed method since the last visit",
               help="Leave empty at screening; afterwards tick if used consistently."),
        b.coded("I.CONTRA.METHOD", "Method", CONTRA_METHOD,
                help="The main method used; record hormonal contraceptives on the concomitant medication log."),
        b.text("I.CONTRA.METHODSP", "Method, specify", max_length=200,
               help="Describe the method when Other is chosen."),
    ),
    help="Women of childbearing potential, from screening to month 12.",
)

PREGREP = form(
    "F.PREGREP", "Pregnancy report",
    group(
        "IG.PREGREP.PREGREP", "Pregnancy",
        b.coded("I.PREGREP.SUBJ", "Pregnant person", PREGSUBJ, required=True,
                help="The participant or the female partner of a male participant (no partner identity)."),
        b.datetime("I.PREGREP.AWAREDTC", "Date and time site became aware", required=True,
                   help="Starts the 24-hour clock for reporting to the sponsor."),
        b.datetime("I.PREGREP.RPTDTC", "Date and time reported to the sponsor",
                   help="Must be within 24 hours of awareness."),
        b.date("I.PREGREP.LMPDAT", "First day of last menstrual period",
               help="Used with the infusion date to estimate exposure in pregnancy."),
        b.date("I.PREGREP.EDDAT", "Estimated date of delivery", allow_future=True,
               help="Expected delivery date from ultrasound or last menstrual period."),
        b.coded("I.PREGREP.OUT", "Pregnancy outcome", PREGOUT, required=True,
                help="Update until the pregnancy ends; spontaneous abortion is also an SAE."),
        b.date("I.PREGREP.OUTDAT", "Date of outcome",
               help="Date of delivery or end of pregnancy."),
        b.flag("I.PREGREP.ANOMALY", "Congenital anomaly or birth defect",
               help="If ticked, also record an SAE (congenital anomaly)."),
        b.text("I.PREGREP.COMMENT", "Outcome details", identifying="mask",
               help="Gestational age at outcome, complications, infant status (no infant identity)."),
    ),
    repeating=True,
    help="One record per pregnancy; followed to outcome.",
)

FORMS = (PREG, CONTRA, PREGREP)
