"""Subject-level logs: adverse events and concomitant medications (CDASH AE and CM).

AEs are graded with CTCAE v5.0; CRS and ICANS events carry their ASTCT grade in the same field
(the per-assessment ASTCT grading is on F.CRS and F.ICANS). SAEs are reported to the sponsor
within 24 hours of site awareness, so awareness and report times are recorded; every report sent (initial,
follow-up, SUSAR) is a record of F.SAERPT, whose due times ``ecrf.safety.clocks`` computes.

The onset relative to the infusion matters in hours (CRS begins within hours to days): when the onset time is
known, ``I.AE.INFHRS`` is computed from the infusion start (I.INF.STDTC); ``I.AE.DLTWIN`` says whether the onset
day lies in the protocol's DLT window (day 0 to ``dlt_days`` after the infusion, both included, as
``ecrf.visits.planning.dlt_window``). Both are recomputed when the infusion start is corrected.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import codelist, critical, form, group

AESI = codelist(
    "CL.AESI", "Adverse event of special interest",
    ("CRS", "Cytokine release syndrome (CRS)"),
    ("ICANS", "Immune effector cell-associated neurotoxicity syndrome (ICANS)"),
    ("IECHS", "IEC-associated HLH-like syndrome (IEC-HS)"),
    ("ICAHT", "Prolonged cytopenia / haematotoxicity (ICAHT)"),
    ("INFECTION", "Infection"),
    ("HYPOGAMMA", "Hypogammaglobulinaemia"),
    ("MALIGNANCY", "Secondary malignancy (other than T-cell)"),
    ("TCELL_MALIGNANCY", "Secondary T-cell malignancy / CAR-positive lymphoma"),
    ("INFUSION_REACTION", "Infusion reaction"),
    ("TLS", "Tumour-lysis-like syndrome"),
    ("AUTOIMMUNE", "New autoimmune disorder"),
    ("NEURO", "New neurological disorder"),
    ("OTHER", "Other"),
)
#: expectedness against the reference safety information (the investigator's brochure): needed for a SUSAR
AEEXPECT = codelist(
    "CL.AEEXPECT", "Expectedness",
    ("EXPECTED", "Expected (listed in the reference safety information)"),
    ("UNEXPECTED", "Unexpected (not listed, or more severe or specific than listed)"),
)
#: the kinds of report an SAE gets (ecrf.safety.clocks gives each its due time)
SAERPTTYP = codelist(
    "CL.SAERPTTYP", "SAE report type",
    ("INITIAL", "Initial SAE report (within 24 h of awareness)"),
    ("FOLLOWUP", "Follow-up report (within 15 days of new information)"),
    ("SUSAR", "SUSAR expedited report (7 days fatal or life-threatening, 15 days otherwise)"),
    ("SUSAR_FU", "SUSAR follow-up report (within 8 days of the 7-day report)"),
)
SAERECIP = codelist(
    "CL.SAERECIP", "Report recipient",
    ("SPONSOR", "Sponsor (pharmacovigilance)"),
    ("AUTHORITY", "Regulatory authority"),
    ("ETHICS", "Ethics committee"),
    ("OTHER", "Other"),
)
CMCAT = codelist(
    "CL.CMCAT", "Medication category",
    ("SLE", "SLE treatment (glucocorticoid, antimalarial, immunosuppressant, biologic)"),
    ("PREMED", "Premedication for leukapheresis or infusion"),
    ("CRS_ICANS", "CRS/ICANS treatment (e.g. tocilizumab, corticosteroids, anakinra)"),
    ("ANTIMICROBIAL", "Anti-infective treatment or prophylaxis"),
    ("IVIG", "Immunoglobulin replacement"),
    ("GROWTH_FACTOR", "Growth factor or transfusion support"),
    ("OTHER", "Other"),
)

AE = form(
    "F.AE", "Adverse event",
    group(
        "IG.AE.AE", "Event",
        b.text("I.AE.TERM", "Adverse event term", required=True, sdtm="AETERM", max_length=200,
               help="One diagnosis per record if known, otherwise one sign or symptom; use CTCAE terms."),
        b.date("I.AE.STDAT", "Start date", required=True, sdtm="AESTDAT",
               help="Date of onset of the event (or of worsening of a pre-existing condition)."),
        b.datetime("I.AE.STDTC", "Onset date and time (if the time is known)",
                   help="The same day as the start date, with the time: gives the hours from the infusion."),
        b.coded("I.AE.ONGO", "Ongoing", cl.NY, required=True, sdtm="AEONGO",
                help="Yes if not resolved at the time of entry; then leave the end date empty."),
        b.date("I.AE.ENDAT", "End date", sdtm="AEENDAT",
               help="Date the event resolved or stabilised; must not precede the start date."),
        b.datetime("I.AE.ENDTC", "End date and time (if the time is known)",
                   help="The same day as the end date, with the time; must not precede the onset."),
        b.decimal("I.AE.INFHRS", "Onset, hours from the start of the CAR-T infusion", "h", -100000, 1000000, 1,
                  calculated="ae_hours_from_infusion",
                  help="Calculated from the onset time and the infusion start; negative before the infusion."),
        b.coded("I.AE.TOXGR", "Grade (CTCAE v5.0; ASTCT for CRS and ICANS)", cl.CTCAE, required=True,
                sdtm="AETOXGR", help="Worst grade during the event. CRS and ICANS: ASTCT consensus grade."),
        domain="AE",
    ),
    group(
        "IG.AE.SER", "Seriousness",
        b.coded("I.AE.SER", "Serious adverse event", cl.NY, required=True, sdtm="AESER",
                help="Yes if at least one seriousness criterion below applies (ICH E2A)."),
        b.coded("I.AE.SDTH", "Results in death", cl.NY, sdtm="AESDTH",
                help="Also complete the death form."),
        b.coded("I.AE.SLIFE", "Life-threatening", cl.NY, sdtm="AESLIFE",
                help="At risk of death at the time of the event, not one that might have caused death if "
                     "more severe."),
        b.coded("I.AE.SHOSP", "Requires or prolongs in-patient hospitalisation", cl.NY, sdtm="AESHOSP",
                help="Planned admissions for CAR-T infusion and monitoring are not SAEs by themselves."),
        b.coded("I.AE.SDISAB", "Persistent or significant disability/incapacity", cl.NY, sdtm="AESDISAB",
                help="Substantial disruption of the ability to conduct normal life functions."),
        b.coded("I.AE.SCONG", "Congenital anomaly/birth defect", cl.NY, sdtm="AESCONG",
                help="In the offspring of a participant."),
        b.coded("I.AE.SMIE", "Other important medical event", cl.NY, sdtm="AESMIE",
                help="Medical judgement: may jeopardise the participant or need intervention to prevent one "
                     "of the outcomes above."),
        b.datetime("I.AE.AWAREDTC", "Date and time site became aware of the SAE",
                   help="Starts the 24-hour clock for the initial SAE report to the sponsor."),
        b.datetime("I.AE.RPTDTC", "Date and time initial SAE report sent to the sponsor",
                   help="Must be within 24 hours of awareness; follow-ups within 15 days of new information."),
        b.coded("I.AE.EXPECT", "Expectedness (reference safety information)", AEEXPECT,
                help="For an SAE: unexpected and related makes it a SUSAR with expedited reporting."),
        b.datetime("I.AE.NEWINFODTC", "Date and time the latest new (follow-up) information was received",
                   help="Starts the 15-day clock for the follow-up report; record each report on the SAE report log."),
        domain="AE",
    ),
    group(
        "IG.AE.ASSESS", "Assessment",
        b.coded("I.AE.RELCART", "Relationship to CAR-T cells", cl.AEREL, required=True, sdtm="AEREL",
                help="Investigator's causality assessment for the CAR-T cell infusion."),
        b.coded("I.AE.RELLD", "Relationship to lymphodepletion (fludarabine/cyclophosphamide)", cl.AEREL,
                help="Leave empty if the event began before lymphodepletion."),
        b.coded("I.AE.RELLEUK", "Relationship to leukapheresis", cl.AEREL,
                help="Leave empty if the event is unrelated in time to the collection."),
        b.coded("I.AE.ACN", "Action taken with study treatment", cl.AEACN, sdtm="AEACN",
                help="Not applicable for events after the single CAR-T infusion."),
        b.coded("I.AE.OUT", "Outcome", cl.AEOUT, required=True, sdtm="AEOUT",
                help="Outcome at the end date, or current status while ongoing."),
        b.flag("I.AE.DLT", "Dose-limiting toxicity",
               help="Tick if the event meets the protocol DLT definition within 28 days of infusion."),
        b.flag("I.AE.DLTWIN", "Onset in the DLT window", calculated="ae_in_dlt_window",
               help="Calculated: the onset day is day 0 to the protocol's last DLT day after the infusion."),
        domain="AE",
    ),
    group(
        "IG.AE.AESI", "Special interest",
        b.flag("I.AE.AESI", "Adverse event of special interest",
               help="CRS, ICANS, IEC-HS, ICAHT, infection, malignancy and the other types listed."),
        b.coded("I.AE.AESITYP", "Type of AESI", AESI,
                help="Choose the type; for Other describe it in the term."),
        b.text("I.AE.PATHOGEN", "Infection: pathogen and site", max_length=200,
               help="For infections only, e.g. 'CMV viraemia' or 'E. coli urinary tract infection'."),
        domain="AE",
    ),
    repeating=True,
    help="One record per adverse event from consent to end of study.",
)

CM = form(
    "F.CM", "Concomitant medication",
    group(
        "IG.CM.CM", "Medication",
        b.text("I.CM.TRT", "Medication (generic)", required=True, sdtm="CMTRT", max_length=200,
               help="Generic drug or therapy, e.g. 'tocilizumab'; not a brand where a generic exists."),
        b.coded("I.CM.CAT", "Category", CMCAT, required=True, sdtm="CMCAT",
                help="Groups the medications for review of SLE therapy, CRS treatment and supportive care."),
        b.text("I.CM.INDC", "Indication", required=True, sdtm="CMINDC", max_length=200,
               help="The reason for use; an AE given as indication must be on the AE log."),
        b.integer("I.CM.AENO", "Adverse event record number", None, 1, 999,
                  help="If given for an AE, the number of that AE record."),
        b.decimal("I.CM.DOSE", "Dose per administration", None, 0, 100000, 3, sdtm="CMDOSE",
                  help="Numeric dose; the unit is chosen below."),
        b.coded("I.CM.DOSU", "Dose unit", cl.DOSEU, sdtm="CMDOSU",
                help="Unit of the dose per administration."),
        b.coded("I.CM.DOSFRQ", "Frequency", cl.FREQ, sdtm="CMDOSFRQ",
                help="How often the dose is given."),
        b.coded("I.CM.ROUTE", "Route", cl.ROUTE, sdtm="CMROUTE",
                help="Route of administration."),
        b.date("I.CM.STDAT", "Start date", required=True, sdtm="CMSTDAT",
               help="Date the medication was started (use the 15th if only the month is known)."),
        b.coded("I.CM.ONGO", "Ongoing", cl.NY, required=True, sdtm="CMONGO",
                help="Yes if still taken; then leave the end date empty."),
        b.date("I.CM.ENDAT", "End date", sdtm="CMENDAT",
               help="Date of the last dose."),
        domain="CM",
    ),
    group(
        "IG.CM.GC", "Systemic glucocorticoid",
        b.coded("I.CM.GCDRUG", "Systemic glucocorticoid", cl.GCDRUG,
                help="If the medication is an oral or intravenous glucocorticoid, which one (for the "
                     "prednisone-equivalent dose); leave empty for any other medication."),
        b.decimal("I.CM.GCPREDEQ", "Prednisone-equivalent daily dose", "mg/day", 0, 100000, 2,
                  calculated="cm_prednisone_equivalent",
                  help="Calculated: dose (mg, g or µg) x administrations per day of the frequency, as prednisone "
                       "(prednisone 5 mg = methylprednisolone 4 mg = dexamethasone 0.75 mg)."),
        b.decimal("I.CM.GCMGKG", "Prednisone-equivalent dose per kg", "mg/kg/day", 0, 5000, 3,
                  calculated="cm_prednisone_mg_per_kg",
                  help="Calculated: the prednisone-equivalent daily dose / the latest recorded weight."),
        domain="CM",
    ),
    repeating=True,
    help="All medications in the protocol's reporting period, including tocilizumab, steroids and IVIG.",
)

SAERPT = form(
    "F.SAERPT", "SAE report",
    group(
        "IG.SAERPT.RPT", "Report sent",
        b.integer("I.SAERPT.AENO", "Adverse event record number", None, 1, 999, required=True,
                  help="The number of the AE record the report is about (the AE log's record #)."),
        b.coded("I.SAERPT.TYPE", "Report type", SAERPTTYP, required=True,
                help="Initial, follow-up, SUSAR expedited or SUSAR follow-up report."),
        b.datetime("I.SAERPT.SENTDTC", "Date and time sent", required=True,
                   help="When the report left the site (fax, e-mail or safety portal time stamp)."),
        b.coded("I.SAERPT.RECIP", "Recipient", SAERECIP, required=True,
                help="Who the report was sent to."),
        b.text("I.SAERPT.REF", "Report reference", max_length=100,
               help="E.g. the sponsor's case number or the portal's receipt number; no names."),
    ),
    repeating=True,
    help="One record per SAE report sent; the SAE list shows each report's due time against these.",
)

# critical for source-data verification (ecrf.sdv): serious adverse events and dose-limiting toxicities (the
# phase 1 primary endpoint is safety)
AE = critical(AE, "I.AE.TERM", "I.AE.STDAT", "I.AE.TOXGR", "I.AE.SER", "I.AE.SDTH", "I.AE.SLIFE", "I.AE.SHOSP",
              "I.AE.SDISAB", "I.AE.SCONG", "I.AE.SMIE", "I.AE.AWAREDTC", "I.AE.RPTDTC", "I.AE.RELCART", "I.AE.DLT")
SAERPT = critical(SAERPT, "I.SAERPT.AENO", "I.SAERPT.TYPE", "I.SAERPT.SENTDTC")

FORMS = (AE, CM, SAERPT)
