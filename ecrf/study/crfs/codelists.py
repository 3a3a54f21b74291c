"""Code lists shared by several CRFs (ODM CodeList). Form-specific lists live with their form.

Coded values follow CDISC controlled terminology where one exists (SEX, ETHNIC, AEOUT, AEACN,
ROUTE, FREQ); the label is what the user sees.
"""
from __future__ import annotations

from ecrf.study.types import codelist

NY = codelist("CL.NY", "No/Yes", ("N", "No"), ("Y", "Yes"))
NYNA = codelist("CL.NYNA", "No/Yes/Not applicable", ("N", "No"), ("Y", "Yes"), ("NA", "Not applicable"))

SEX = codelist("CL.SEX", "Sex", ("F", "Female"), ("M", "Male"))
ETHNIC = codelist(
    "CL.ETHNIC", "Ethnicity",
    ("HISPANIC OR LATINO", "Hispanic or Latino"),
    ("NOT HISPANIC OR LATINO", "Not Hispanic or Latino"),
    ("NOT REPORTED", "Not reported"),
    ("UNKNOWN", "Unknown"),
)

SPECIMEN = codelist("CL.SPECIMEN", "Specimen", ("SERUM", "Serum"), ("URINE", "Urine"))
POSNEG = codelist(
    "CL.POSNEG", "Test result",
    ("NEG", "Negative"), ("POS", "Positive"), ("IND", "Indeterminate / equivocal"),
)
NORMAL = codelist(
    "CL.NORMAL", "Normal/abnormal",
    ("NORMAL", "Normal"),
    ("ABN_NCS", "Abnormal, not clinically significant"),
    ("ABN_CS", "Abnormal, clinically significant"),
)

CTCAE = codelist(
    "CL.CTCAE", "CTCAE v5.0 grade",
    ("1", "Grade 1 - mild"),
    ("2", "Grade 2 - moderate"),
    ("3", "Grade 3 - severe or medically significant"),
    ("4", "Grade 4 - life-threatening"),
    ("5", "Grade 5 - death related to the AE"),
    data_type="integer",
)
AEREL = codelist(
    "CL.AEREL", "Causality",
    ("NOT RELATED", "Not related"),
    ("UNLIKELY RELATED", "Unlikely related"),
    ("POSSIBLY RELATED", "Possibly related"),
    ("PROBABLY RELATED", "Probably related"),
    ("RELATED", "Definitely related"),
)
AEOUT = codelist(
    "CL.AEOUT", "Outcome of event",
    ("RECOVERED/RESOLVED", "Recovered / resolved"),
    ("RECOVERING/RESOLVING", "Recovering / resolving"),
    ("NOT RECOVERED/NOT RESOLVED", "Not recovered / not resolved"),
    ("RECOVERED/RESOLVED WITH SEQUELAE", "Recovered / resolved with sequelae"),
    ("FATAL", "Fatal"),
    ("UNKNOWN", "Unknown"),
)
AEACN = codelist(
    "CL.AEACN", "Action taken with study treatment",
    ("DOSE NOT CHANGED", "None (treatment given as planned)"),
    ("DRUG INTERRUPTED", "Infusion or lymphodepletion interrupted"),
    ("DOSE REDUCED", "Dose reduced"),
    ("DOSE DELAYED", "Lymphodepletion or infusion delayed"),
    ("DRUG WITHDRAWN", "Treatment not given / withdrawn"),
    ("NOT APPLICABLE", "Not applicable (event after CAR-T infusion)"),
    ("UNKNOWN", "Unknown"),
)

ROUTE = codelist(
    "CL.ROUTE", "Route of administration",
    ("ORAL", "Oral"), ("INTRAVENOUS", "Intravenous"), ("SUBCUTANEOUS", "Subcutaneous"),
    ("INTRAMUSCULAR", "Intramuscular"), ("TOPICAL", "Topical"), ("INHALATION", "Inhalation"),
    ("RECTAL", "Rectal"), ("OTHER", "Other"),
)
FREQ = codelist(
    "CL.FREQ", "Dosing frequency",
    ("ONCE", "Once"), ("QD", "Once daily"), ("BID", "Twice daily"), ("TID", "Three times daily"),
    ("QID", "Four times daily"), ("QOD", "Every other day"), ("QW", "Once weekly"),
    ("Q2W", "Every 2 weeks"), ("Q4W", "Every 4 weeks"), ("PRN", "As needed"), ("OTHER", "Other"),
)
DOSEU = codelist(
    "CL.DOSEU", "Dose unit",
    ("mg", "mg"), ("g", "g"), ("ug", "µg"), ("mg/kg", "mg/kg"), ("mg/m2", "mg/m²"), ("IU", "IU"),
    ("mL", "mL"), ("tablet", "tablet"), ("puff", "puff"), ("other", "other"),
)

ICF_TYPE = codelist(
    "CL.ICF_TYPE", "Consent document type",
    ("ADULT", "Adult informed consent"),
    ("GUARDIAN", "Parent/guardian permission"),
    ("ASSENT", "Child assent"),
)
SIGNER = codelist(
    "CL.SIGNER", "Who signed",
    ("PARTICIPANT", "Participant"),
    ("LAR", "Legally authorised representative (parent/guardian)"),
)

DOSELEVEL = codelist(
    "CL.DOSELEVEL", "CAR-T dose level",
    ("1", "Dose level 1: 1.5 x10^5 CAR-T cells/kg"),
    ("2", "Dose level 2: 5 x10^5 CAR-T cells/kg"),
    ("3", "Dose level 3: 10 x10^5 CAR-T cells/kg"),
    data_type="integer",
)

# Ids are those of domain-data.json "glucocorticoid_equivalence" (the prednisone-equivalent calculator).
GCDRUG = codelist(
    "CL.GCDRUG", "Systemic glucocorticoid",
    ("prednisone", "Prednisone"), ("prednisolone", "Prednisolone"),
    ("methylprednisolone", "Methylprednisolone"), ("hydrocortisone", "Hydrocortisone"),
    ("cortisone", "Cortisone"), ("dexamethasone", "Dexamethasone"),
    ("betamethasone", "Betamethasone"), ("triamcinolone", "Triamcinolone"),
)

# The 11 immunosuppressants/biologics of inclusion criterion IN3, as (OID suffix, label).
# PRIORTX and GCIS derive one question per drug from this table.
IMMUNOSUPPRESSANTS: tuple[tuple[str, str], ...] = (
    ("CYC", "Cyclophosphamide"),
    ("MMF", "Mycophenolate mofetil (MMF)"),
    ("AZA", "Azathioprine"),
    ("MTX", "Methotrexate"),
    ("CSA", "Cyclosporin"),
    ("TAC", "Tacrolimus"),
    ("SIR", "Sirolimus"),
    ("LEF", "Leflunomide"),
    ("TELI", "Telitacicept"),
    ("BELI", "Belimumab"),
    ("RTX", "Rituximab"),
)
