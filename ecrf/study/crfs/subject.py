"""Subject-level CRFs: informed consent, demographics, enrolment, death, end of study.

Subjects are known by their subject code only: no names or initials are collected anywhere.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import codelist, critical, form, group

ICF_REASON = codelist(
    "CL.ICF_REASON", "Reason for this consent",
    ("FIRST", "First consent to the study"),
    ("NEWVERSION", "Re-consent on a new consent form version"),
    ("MAJORITY", "Participant reached the age of consent"),
    ("ASSENTAGE", "Child reached the age for assent"),
    ("OTHER", "Other"),
)
STERIL = codelist(
    "CL.STERIL", "Permanent sterilisation",
    ("hysterectomy", "Hysterectomy"),
    ("bilateral_salpingectomy", "Bilateral salpingectomy"),
    ("bilateral_oophorectomy", "Bilateral oophorectomy"),
)
DTHCAT = codelist(
    "CL.DTHCAT", "Primary cause of death (category)",
    ("SLE", "Systemic lupus erythematosus"),
    ("CRS", "Cytokine release syndrome"),
    ("ICANS", "ICANS"),
    ("IECHS", "IEC-HS / HLH-like syndrome"),
    ("INFECTION", "Infection"),
    ("MALIGNANCY", "Malignancy"),
    ("OTHER_AE", "Other adverse event"),
    ("OTHER", "Other cause, not an adverse event"),
    ("UNKNOWN", "Unknown"),
)
EOSSTAT = codelist(
    "CL.EOSSTAT", "End-of-study status",
    ("COMPLETED", "Completed the study (including long-term follow-up)"),
    ("EARLY", "Early termination"),
)
DSREASON = codelist(
    "CL.DSREASON", "Reason for early termination",
    ("NOT_TREATED", "Not infused (screen failure after consent, manufacturing failure or other)"),
    ("WITHDRAWAL BY SUBJECT", "Consent withdrawn by the participant"),
    ("WITHDRAWAL BY PARENT/GUARDIAN", "Permission withdrawn by the parent/guardian"),
    ("ADVERSE EVENT", "Adverse event"),
    ("DEATH", "Death"),
    ("LOST TO FOLLOW-UP", "Lost to follow-up"),
    ("PHYSICIAN DECISION", "Investigator decision"),
    ("STUDY TERMINATED BY SPONSOR", "Study terminated by the sponsor"),
    ("OTHER", "Other"),
)

IC = form(
    "F.IC", "Informed consent",
    group(
        "IG.IC.IC", "Consent record",
        b.coded("I.IC.REASON", "Reason for this consent", ICF_REASON, required=True,
                help="First consent, or why the participant or guardian is signing again."),
        b.text("I.IC.VERSION", "Consent form version", required=True, max_length=40,
               help="Version number of the ethics-approved consent or assent document signed."),
        b.date("I.IC.VERDAT", "Consent form version date", required=True,
               help="Date printed on the approved consent or assent document."),
        b.coded("I.IC.TYPE", "Document type", cl.ICF_TYPE, required=True,
                help="Adult consent, parent/guardian permission, or the child's own assent."),
        b.coded("I.IC.SIGNER", "Signed by", cl.SIGNER, required=True,
                help="The participant, or a legally authorised representative for a minor or an adult "
                     "unable to consent. Do not record the signer's identity here."),
        b.datetime("I.IC.DTC", "Date and time of signature", required=True, sdtm="DSSTDAT",
                   help="When the document was signed; must precede every study procedure."),
        b.flag("I.IC.COPY", "Signed copy given to the participant or guardian", required=True,
               help="Tick if a copy of the signed document was handed over."),
        b.flag("I.IC.BIOSAMP", "Consent to storage of samples for future research",
               help="Optional consent for remaining samples; leave unticked if declined or not asked."),
        domain="DS",
    ),
    repeating=True,
    help="One record per signed consent, permission or assent document, including re-consents.",
)

DM = form(
    "F.DM", "Demographics",
    group(
        "IG.DM.DM", "Demographics",
        b.date("I.DM.BRTHDAT", "Date of birth", required=True, sdtm="BRTHDAT", identifying="year",
               help="Full date of birth; age at consent must be 5 years or more (IN1)."),
        b.coded("I.DM.SEX", "Sex", cl.SEX, required=True, sdtm="SEX",
                help="Sex assigned at birth; used for eGFR and to decide childbearing potential."),
        b.coded("I.DM.ETHNIC", "Ethnicity", cl.ETHNIC, sdtm="ETHNIC",
                help="As reported by the participant or guardian."),
        domain="DM",
    ),
    group(
        "IG.DM.REPRO", "Childbearing potential (female participants)",
        b.flag("I.DM.MENARCHE", "Menarche reached",
               help="Female participants only. Premenarchal girls are not of childbearing potential; "
                    "update this form when menarche occurs."),
        b.date("I.DM.MENARDAT", "Date of menarche", identifying="year",
               help="Month and year are enough; use the 15th if the day is unknown."),
        b.flag("I.DM.STERIL", "Permanently sterile",
               help="Documented hysterectomy, bilateral salpingectomy or bilateral oophorectomy (tubal ligation is "
                    "contraception, not sterilisation)."),
        b.coded("I.DM.STERILTYP", "Type of permanent sterilisation", STERIL,
                help="The procedure documented in the source record."),
        b.flag("I.DM.POSTMENO", "Postmenopausal",
               help="No menses for 12 months without another medical cause; a single FSH is not enough."),
    ),
    help="Collected once at consent; no names or initials are recorded.",
)

ENROL = form(
    "F.ENROL", "Enrolment and dose level",
    group(
        "IG.ENROL.ENROL", "Enrolment",
        b.date("I.ENROL.DAT", "Date of enrolment", required=True,
               help="Date the investigator confirmed eligibility and enrolled the participant."),
        b.coded("I.ENROL.DOSELEVEL", "Assigned CAR-T dose level", cl.DOSELEVEL, required=True,
                help="The dose level open for enrolment when the participant was assigned."),
        b.date("I.ENROL.DLDAT", "Date dose level assigned", required=True,
               help="Date of the dose-escalation decision that assigned this level."),
        b.integer("I.ENROL.COHSEQ", "Sequence number within the dose level", None, 1, 18,
                  help="1 for the first participant at this dose level, who is observed for 14 days "
                       "before the next participant of the level is infused."),
    ),
)

DEATH = form(
    "F.DEATH", "Death",
    group(
        "IG.DEATH.DEATH", "Death report",
        b.date("I.DEATH.DAT", "Date of death", required=True, sdtm="DTHDAT",
               help="As on the death certificate or hospital record."),
        b.coded("I.DEATH.CAT", "Primary cause of death (category)", DTHCAT, required=True,
                help="Choose the principal cause; also record the fatal AE (outcome Fatal) on the AE log."),
        b.text("I.DEATH.CAUSE", "Primary cause of death (description)", required=True,
               help="Medical description of the principal cause of death."),
        b.coded("I.DEATH.REL", "Relationship of death to CAR-T cells", cl.AEREL, required=True,
                help="Investigator's causality assessment."),
        b.flag("I.DEATH.AUTOPSY", "Autopsy performed",
               help="Tick if an autopsy was done; attach the report to the source documents."),
    ),
)

EOS = form(
    "F.EOS", "End of study / early termination",
    group(
        "IG.EOS.DS", "Disposition",
        b.coded("I.EOS.STATUS", "End-of-study status", EOSSTAT, required=True, sdtm="DSTERM",
                help="Completed means the participant finished long-term follow-up."),
        b.date("I.EOS.DAT", "Date of completion or early termination", required=True, sdtm="DSSTDAT",
               help="Date of the last visit or contact."),
        b.coded("I.EOS.REASON", "Reason for early termination", DSREASON, sdtm="DSDECOD",
                help="Only for early termination."),
        b.text("I.EOS.REASONSP", "Reason, specify", identifying="mask",
               help="Describe the reason when Other is chosen, or add detail."),
        b.flag("I.EOS.LTFUCONT", "Agrees to continued safety follow-up (malignancy, survival)",
               help="Whether the participant or guardian allows further safety contact after leaving the study."),
        domain="DS",
    ),
)

# critical for source-data verification (ecrf.sdv): consent, the age that decides eligibility, enrolment, death
IC = critical(IC, "I.IC.REASON", "I.IC.VERSION", "I.IC.TYPE", "I.IC.SIGNER", "I.IC.DTC")
DM = critical(DM, "I.DM.BRTHDAT")
ENROL = critical(ENROL, "I.ENROL.DAT", "I.ENROL.DOSELEVEL")
DEATH = critical(DEATH, "I.DEATH.DAT", "I.DEATH.CAT", "I.DEATH.REL")

FORMS = (IC, DM, ENROL, DEATH, EOS)
