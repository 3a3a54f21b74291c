"""Local laboratory: haematology, chemistry (with coagulation) and urinalysis, in SI units.

Hard limits refuse values no living participant could have (or a unit mix-up such as creatinine
in mg/dL typed into the µmol/L box); they are not normal ranges. The normal ranges are the site
laboratory's (``ecrf.labs``): each numeric result is followed by its flag against the range in force
on the sample date (calculated, ``lab_flag``) and the site's clinical significance when it is out of
range (CS/NCS, required then by an edit check). The ULNs IN7 needs (AST/ALT <= 3 x ULN, bilirubin
<= 2 x ULN) are the upper limits of those ranges (``lab_uln``). SDTM names are the LBTESTCD of each test.
"""
from __future__ import annotations

from dataclasses import replace

from ecrf.study.checks import Check, required_if
from ecrf.study.crfs import builders as b
from ecrf.study.types import DataType, Form, Item, codelist, form, group

#: CDISC LBNRIND (reference range indicator) codes, and "no range" so a missing range is never a silent blank
NRIND = codelist("CL.NRIND", "Reference range indicator", ("L", "Low"), ("N", "Normal"), ("H", "High"),
                 ("NR", "No range in force"))
CSNCS = codelist("CL.CSNCS", "Clinical significance", ("CS", "Clinically significant"),
                 ("NCS", "Not clinically significant"))


def _sample(code: str) -> tuple[Item, Item]:
    return (b.datetime(f"I.{code}.DTC", "Date and time of sample collection", required=True, sdtm="LBDTC",
                       help="When the sample was drawn (not when the result was reported)."),
            b.text(f"I.{code}.LAB", "Laboratory", max_length=20,
                   help="Code of the site laboratory that analysed the sample (see Laboratories); leave it "
                        "empty when the site has only one. Its normal ranges flag the results."))


def _flagged(result: Item) -> bool:
    numeric = result.data_type in (DataType.INTEGER, DataType.FLOAT)
    own_value = result.calculated in (None, "creatinine_umol")  # creatinine: the µmol/L value is the result
    return numeric and own_value and not result.oid.endswith("ULN") and result.oid != "I.CHEM.CREATORRES"


def _expand(result: Item) -> tuple[Item, ...]:
    if not _flagged(result):
        return (result,)
    return (result,
            b.coded(f"{result.oid}NRIND", f"{result.label}: normal range", NRIND, calculated="lab_flag",
                    help="Calculated: low, normal or high against the laboratory's range in force on the sample "
                         "date for the participant's age and sex (a value at a limit is normal)."),
            b.coded(f"{result.oid}CS", f"{result.label}: clinical significance", CSNCS,
                    help="Required when the result is low or high: is it clinically significant? (Record a new "
                         "significant abnormality as an AE.)"))


def _with_flags(definition: Form) -> Form:
    """The form with each numeric result followed by its range flag and its CS/NCS."""
    return replace(definition, groups=tuple(
        replace(g, items=tuple(x for i in g.items for x in _expand(i))) for g in definition.groups))


def _clsig(code: str) -> tuple[Item, ...]:
    return (
        b.flag(f"I.{code}.CLSIG", "Any clinically significant abnormal result", required=True,
               help="Investigator's review of the whole panel; record new significant abnormalities as AEs."),
        b.text(f"I.{code}.CLSIGSP", "Clinically significant results, specify",
               help="List the tests judged clinically significant and why."),
    )


def _uln(code: str, test: str, units: str, lo: float, hi: float) -> Item:
    return b.decimal(f"I.{code}.{test}ULN", f"{test} upper limit of normal", units, lo, hi, 1, calculated="lab_uln",
                     help="Calculated: upper limit of the laboratory's range in force on the sample date for this "
                          "participant's age and sex (IN7).")


HEM = form(
    "F.HEM", "Haematology",
    group("IG.HEM.SAMPLE", "Sample", *_sample("HEM"), domain="LB"),
    group(
        "IG.HEM.HEM", "Full blood count",
        b.decimal("I.HEM.WBC", "White blood cells", "x10^9/L", 0, 500, 2, required=True, sdtm="WBC",
                  help="Total leucocyte count."),
        b.decimal("I.HEM.NEUT", "Neutrophils (absolute)", "x10^9/L", 0, 300, 2, required=True, sdtm="NEUT",
                  help="Absolute neutrophil count; used for prolonged cytopenia (ICAHT) grading."),
        b.decimal("I.HEM.LYM", "Lymphocytes (absolute)", "x10^9/L", 0, 300, 2, required=True, sdtm="LYM",
                  help="Absolute lymphocyte count."),
        b.decimal("I.HEM.MONO", "Monocytes (absolute)", "x10^9/L", 0, 100, 2, sdtm="MONO",
                  help="Absolute monocyte count."),
        b.decimal("I.HEM.EOS", "Eosinophils (absolute)", "x10^9/L", 0, 100, 2, sdtm="EOS",
                  help="Absolute eosinophil count."),
        b.decimal("I.HEM.BASO", "Basophils (absolute)", "x10^9/L", 0, 50, 2, sdtm="BASO",
                  help="Absolute basophil count."),
        b.integer("I.HEM.HGB", "Haemoglobin", "g/L", 20, 250, required=True, sdtm="HGB",
                  help="In g/L (10 x the g/dL value)."),
        b.decimal("I.HEM.RBC", "Red blood cells", "x10^12/L", 0.5, 10, 2, sdtm="RBC",
                  help="Erythrocyte count."),
        b.decimal("I.HEM.HCT", "Haematocrit", "%", 5, 75, 1, sdtm="HCT",
                  help="Packed cell volume as a percentage."),
        b.decimal("I.HEM.MCV", "Mean corpuscular volume", "fL", 40, 150, 1, sdtm="MCV",
                  help="Average red cell volume."),
        b.integer("I.HEM.PLAT", "Platelets", "x10^9/L", 0, 2000, required=True, sdtm="PLAT",
                  help="Platelet count; below 100 x10^9/L scores thrombocytopenia in SLEDAI-2K."),
        b.decimal("I.HEM.RETI", "Reticulocytes", "%", 0, 50, 2, sdtm="RETI",
                  help="Reticulocytes as a percentage of red cells."),
        b.flag("I.HEM.TRANSF", "Transfusion in the 7 days before sample",
               help="Red cell or platelet transfusion that may affect the counts."),
        domain="LB",
    ),
    group("IG.HEM.REVIEW", "Review", *_clsig("HEM"), domain="LB"),
)

#: the units a laboratory reports serum creatinine in (the stored I.CHEM.CREAT is always µmol/L)
CREATU = codelist("CL.CREATU", "Creatinine unit", ("umol/L", "µmol/L"), ("mg/dL", "mg/dL"))

CHEM = form(
    "F.CHEM", "Chemistry and coagulation",
    group("IG.CHEM.SAMPLE", "Sample", *_sample("CHEM"), domain="LB"),
    group(
        "IG.CHEM.RENAL", "Renal function",
        b.decimal("I.CHEM.CREATORRES", "Creatinine, as reported", None, 0.05, 2500, 2,
                  help="Serum creatinine (IDMS-traceable enzymatic method) as the laboratory reports it, in the "
                       "unit chosen below."),
        b.coded("I.CHEM.CREATU", "Creatinine unit", CREATU,
                help="The unit of the laboratory report; the value is converted to µmol/L (mg/dL x 88.4)."),
        b.decimal("I.CHEM.CREAT", "Creatinine", "µmol/L", 5, 2500, 1, required=True, sdtm="CREAT",
                  calculated="creatinine_umol",
                  help="Calculated in µmol/L from the reported value and unit (1 mg/dL = 88.4 µmol/L); forms "
                       "saved before the unit was asked keep the value entered here in µmol/L."),
        b.decimal("I.CHEM.EGFR", "eGFR", "mL/min/1.73 m²", 0, 300, 1, calculated="egfr",
                  help="Calculated: bedside Schwartz under 18 years, CKD-EPI 2021 from 18. IN6 requires 30 or more."),
        b.decimal("I.CHEM.UREA", "Urea", "mmol/L", 0.5, 100, 1, sdtm="UREA",
                  help="Serum urea (blood urea nitrogen in mmol/L)."),
        b.decimal("I.CHEM.URATE", "Uric acid", "µmol/L", 10, 2000, 1, sdtm="URATE",
                  help="Serum uric acid."),
        domain="LB",
    ),
    group(
        "IG.CHEM.LIVER", "Liver function",
        b.decimal("I.CHEM.ALT", "ALT", "U/L", 0, 20000, 1, required=True, sdtm="ALT",
                  help="Alanine aminotransferase; IN7 requires 3.0 x ULN or less."),
        _uln("CHEM", "ALT", "U/L", 5, 200),
        b.decimal("I.CHEM.AST", "AST", "U/L", 0, 20000, 1, required=True, sdtm="AST",
                  help="Aspartate aminotransferase; IN7 requires 3.0 x ULN or less."),
        _uln("CHEM", "AST", "U/L", 5, 200),
        b.decimal("I.CHEM.BILI", "Total bilirubin", "µmol/L", 0, 1000, 1, required=True, sdtm="BILI",
                  help="Serum total bilirubin; IN7 requires 2.0 x ULN or less."),
        _uln("CHEM", "BILI", "µmol/L", 3, 60),
        b.decimal("I.CHEM.BILDIR", "Direct bilirubin", "µmol/L", 0, 800, 1, sdtm="BILDIR",
                  help="Conjugated bilirubin."),
        b.decimal("I.CHEM.ALP", "Alkaline phosphatase", "U/L", 0, 10000, 1, sdtm="ALP",
                  help="Higher in growing children; compare with the age-specific range."),
        b.decimal("I.CHEM.GGT", "Gamma-glutamyl transferase", "U/L", 0, 5000, 1, sdtm="GGT",
                  help="Serum gamma-glutamyl transferase; cholestatic liver injury marker."),
        b.decimal("I.CHEM.LDH", "Lactate dehydrogenase", "U/L", 0, 50000, 1, sdtm="LDH",
                  help="LDH; rises with haemolysis and IEC-HS."),
        b.decimal("I.CHEM.ALB", "Albumin", "g/L", 5, 70, 1, sdtm="ALB",
                  help="Serum albumin."),
        b.decimal("I.CHEM.PROT", "Total protein", "g/L", 20, 150, 1, sdtm="PROT",
                  help="Serum total protein."),
        domain="LB",
    ),
    group(
        "IG.CHEM.ELEC", "Electrolytes and metabolism",
        b.decimal("I.CHEM.SODIUM", "Sodium", "mmol/L", 100, 190, 1, sdtm="SODIUM", help="Serum sodium."),
        b.decimal("I.CHEM.K", "Potassium", "mmol/L", 1.5, 10, 2, sdtm="K", help="Serum potassium (non-haemolysed)."),
        b.decimal("I.CHEM.CL", "Chloride", "mmol/L", 60, 150, 1, sdtm="CL", help="Serum chloride."),
        b.decimal("I.CHEM.BICARB", "Bicarbonate", "mmol/L", 2, 50, 1, sdtm="BICARB",
                  help="Serum bicarbonate (total CO2)."),
        b.decimal("I.CHEM.CA", "Calcium (total)", "mmol/L", 0.5, 5, 2, sdtm="CA", help="Serum total calcium."),
        b.decimal("I.CHEM.PHOS", "Phosphate", "mmol/L", 0.1, 6, 2, sdtm="PHOS", help="Serum inorganic phosphate."),
        b.decimal("I.CHEM.MG", "Magnesium", "mmol/L", 0.1, 5, 2, sdtm="MG", help="Serum magnesium."),
        b.decimal("I.CHEM.GLUC", "Glucose", "mmol/L", 0.5, 60, 1, sdtm="GLUC",
                  help="Plasma glucose; note on the AE log if due to steroids."),
        b.decimal("I.CHEM.CK", "Creatine kinase", "U/L", 0, 200000, 1, sdtm="CK",
                  help="CK; supports the myositis descriptor of SLEDAI-2K."),
        b.decimal("I.CHEM.TRIG", "Triglycerides", "mmol/L", 0.1, 50, 2, sdtm="TRIG",
                  help="Fasting if possible; high triglycerides support IEC-HS."),
        b.decimal("I.CHEM.CHOL", "Total cholesterol", "mmol/L", 0.5, 30, 2, sdtm="CHOL",
                  help="Serum total cholesterol."),
        domain="LB",
    ),
    group(
        "IG.CHEM.COAG", "Coagulation",
        b.decimal("I.CHEM.FIBRINO", "Fibrinogen", "g/L", 0, 15, 2, sdtm="FIBRINO",
                  help="Plasma fibrinogen; low fibrinogen supports IEC-HS."),
        b.decimal("I.CHEM.PT", "Prothrombin time", "s", 5, 150, 1, sdtm="PT", help="PT in seconds."),
        b.decimal("I.CHEM.INR", "INR", None, 0.5, 15, 2, sdtm="INR", help="International normalised ratio."),
        b.decimal("I.CHEM.APTT", "Activated partial thromboplastin time", "s", 10, 250, 1, sdtm="APTT",
                  help="APTT in seconds."),
        b.decimal("I.CHEM.DDIMER", "D-dimer", "mg/L FEU", 0, 100, 2, sdtm="DDIMER",
                  help="In fibrinogen-equivalent units; convert if the laboratory reports µg/L."),
        domain="LB",
    ),
    group("IG.CHEM.REVIEW", "Review", *_clsig("CHEM"), domain="LB"),
)

DIPSTICK = codelist(
    "CL.DIPSTICK", "Dipstick grade",
    ("NEG", "Negative"), ("TRACE", "Trace"), ("1+", "1+"), ("2+", "2+"), ("3+", "3+"), ("4+", "4+"),
)

UA = form(
    "F.UA", "Urinalysis and urine protein/creatinine ratio",
    group("IG.UA.SAMPLE", "Sample", *_sample("UA"), domain="LB"),
    group(
        "IG.UA.UA", "Urinalysis",
        b.coded("I.UA.PROT", "Protein (dipstick)", DIPSTICK, sdtm="PROT",
                help="Dipstick protein grade."),
        b.coded("I.UA.BLOOD", "Blood (dipstick)", DIPSTICK, sdtm="OCCBLD",
                help="Dipstick haemoglobin/blood grade."),
        b.decimal("I.UA.SPGRAV", "Specific gravity", None, 1.000, 1.060, 3, sdtm="SPGRAV",
                  help="Urine specific gravity."),
        b.decimal("I.UA.PH", "pH", None, 4.0, 9.5, 1, sdtm="PH", help="Urine pH."),
        b.integer("I.UA.RBC", "Red blood cells", "/HPF", 0, 1000, required=True, sdtm="RBC",
                  help="Microscopy; more than 5/HPF without stone or infection scores haematuria in SLEDAI-2K."),
        b.integer("I.UA.WBC", "White blood cells", "/HPF", 0, 1000, required=True, sdtm="WBC",
                  help="Microscopy; more than 5/HPF without infection scores pyuria in SLEDAI-2K."),
        b.flag("I.UA.CASTS", "Heme-granular or red cell casts present", required=True,
               help="Scores urinary casts in SLEDAI-2K."),
        b.text("I.UA.CASTSP", "Casts, specify", max_length=200,
               help="Type and number of casts seen."),
        domain="LB",
    ),
    group(
        "IG.UA.UPCR", "Urine protein",
        b.decimal("I.UA.UPCR", "Urine protein/creatinine ratio", "mg/mg", 0, 50, 2, required=True,
                  sdtm="PROTCREA",
                  help="Spot urine; mg/mg equals g/g. Divide mg/mmol by 113 to convert."),
        b.decimal("I.UA.PROT24", "24-hour urine protein", "g/24 h", 0, 50, 2,
                  help="If a timed collection was done; more than 0.5 g/24 h scores proteinuria."),
        domain="LB",
    ),
    group("IG.UA.REVIEW", "Review", *_clsig("UA"), domain="LB"),
)

HEM, CHEM, UA = (_with_flags(f) for f in (HEM, CHEM, UA))
FORMS = (HEM, CHEM, UA)

#: the results flagged against a laboratory's ranges (the analytes a range can be recorded for), by OID
ANALYTES: dict[str, Item] = {i.oid: i for f in FORMS for i in f.items if _flagged(i)}

#: a low or high result needs the site's clinical significance (soft: the value is stored, a query opens)
CHECKS: tuple[Check, ...] = tuple(
    required_if(f"{oid[2:]}_CS", f"{oid}CS", f"{oid}NRIND", ("L", "H"),
                "The result is outside the laboratory's normal range: mark it clinically significant or not.")
    for oid in ANALYTES)
