"""Cell therapy: collection, product release, lymphodepletion and the CAR-T infusion (CDASH EX).

Lymphodepletion doses are prescribed in mg/m² of Mosteller BSA; the CAR-T dose is weight-based
(1.5, 5 or 10 x10^5 CAR-T cells/kg), so the weight used for dosing is recorded on F.INF.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.crfs.vitals import vital_sign_items
from ecrf.study.types import ItemGroup, codelist, critical, form, group

COLLTYPE = codelist(
    "CL.COLLTYPE", "Collection procedure",
    ("LEUKAPHERESIS", "Leukapheresis"), ("VENOUS", "Venous blood collection"),
)
ACCESS = codelist(
    "CL.ACCESS", "Vascular access",
    ("PERIPHERAL", "Peripheral veins"), ("CVC", "Central venous catheter"),
)
VECTOR = codelist(
    "CL.VECTOR", "Gene transfer method",
    ("LENTIVIRAL", "Lentiviral vector"), ("GAMMARETROVIRAL", "Gamma-retroviral vector"),
    ("NONVIRAL", "Non-viral (e.g. transposon)"), ("OTHER", "Other"),
)
RELEASE = codelist(
    "CL.RELEASE", "Release decision",
    ("PASS", "Meets all release specifications"),
    ("EXCEPTION", "Out of specification, released by exception"),
    ("FAIL", "Not released"),
)

LEUK = form(
    "F.LEUK", "Leukapheresis / cell collection",
    group(
        "IG.LEUK.LEUK", "Collection",
        b.coded("I.LEUK.TYPE", "Procedure", COLLTYPE, required=True,
                help="Leukapheresis, or venous blood collection where the product allows it (IN9)."),
        b.datetime("I.LEUK.STDTC", "Start date and time", required=True,
                   help="Start of the collection."),
        b.datetime("I.LEUK.ENDTC", "Stop date and time", required=True,
                   help="End of the collection."),
        b.coded("I.LEUK.ACCESS", "Vascular access", ACCESS,
                help="Central access is common in small children."),
        b.integer("I.LEUK.VOLPROC", "Blood volume processed", "mL", 10, 40000,
                  help="Total whole-blood volume processed by the apheresis machine, or volume drawn."),
        b.decimal("I.LEUK.TNC", "Total nucleated cells collected", "x10^9", 0.01, 200, 2, required=True,
                  help="From the collection product's cell count."),
        b.decimal("I.LEUK.CD3", "CD3+ T cells collected", "x10^9", 0, 100, 2,
                  help="If measured on the collection product."),
        b.flag("I.LEUK.COMPL", "Complications during collection", required=True,
               help="E.g. citrate toxicity, hypotension, vasovagal reaction, access problem; record each as an AE."),
        b.text("I.LEUK.COMPLSP", "Complications, describe",
               help="Describe the complications and their management."),
    ),
)

PRODUCT = form(
    "F.PRODUCT", "CAR-T product manufacturing and release",
    group(
        "IG.PRODUCT.PRODUCT", "Product",
        b.text("I.PRODUCT.LOT", "Product lot number", required=True, max_length=40,
               help="As on the certificate of analysis and the infusion bag label."),
        b.coded("I.PRODUCT.VECTOR", "Gene transfer method", VECTOR, required=True,
                help="Lentiviral products need replication-competent lentivirus testing in follow-up."),
        b.date("I.PRODUCT.RELDAT", "Release date", required=True,
               help="Date of the qualified person's release of the lot."),
        b.decimal("I.PRODUCT.VIAB", "Viability", "%", 0, 100, 1, required=True,
                  help="Viable cells as a percentage of total cells, from the certificate of analysis."),
        b.decimal("I.PRODUCT.CARPCT", "CAR-positive cells", "%", 0, 100, 1, required=True,
                  help="CAR+ cells as a percentage of viable T cells (transduction efficiency)."),
        b.decimal("I.PRODUCT.CARTOT", "Total viable CAR+ cells in the lot", "x10^6", 0, 100000, 2,
                  help="Cells available for dosing."),
        b.coded("I.PRODUCT.RELRES", "Release result", RELEASE, required=True,
                help="Overall release decision against the product specification."),
        b.text("I.PRODUCT.OOSDESC", "Out-of-specification results",
               help="Which specifications were not met, if any."),
    ),
)

LD = form(
    "F.LD", "Lymphodepletion: body size",
    group(
        "IG.LD.LD", "Body size for dosing",
        b.date("I.LD.DAT", "Date measured", required=True,
               help="Date height and weight were measured for lymphodepletion dosing."),
        b.decimal("I.LD.HEIGHT", "Height", "cm", 70, 230, 1, required=True, sdtm="HEIGHT",
                  help="Standing height without shoes."),
        b.decimal("I.LD.WEIGHT", "Weight", "kg", 8, 250, 1, required=True, sdtm="WEIGHT",
                  help="Body weight in light clothing."),
        b.decimal("I.LD.BSA", "Body surface area", "m²", 0.3, 3.5, 2, calculated="bsa", sdtm="BSA",
                  help="Calculated (Mosteller): square root of height (cm) x weight (kg) / 3600."),
        b.flag("I.LD.REDUCED", "Reduced-intensity regimen",
               help="Tick if the regimen differs from the protocol standard (e.g. renal function, age)."),
        b.text("I.LD.REDUCEDSP", "Reason for the modified regimen",
               help="Why doses were reduced or changed."),
    ),
)


def _ld_drug(code: str, drug: str, mg_m2_max: int, mg_max: int) -> ItemGroup:
    return group(
        f"IG.LDDOSE.{code}", drug,
        b.flag(f"I.LDDOSE.{code}YN", f"{drug} given on this day", required=True,
               help=f"Tick if {drug.lower()} was given on this day."),
        b.decimal(f"I.LDDOSE.{code}M2", f"{drug} dose per m²", "mg/m²", 0, mg_m2_max, 1,
                  help="Prescribed dose per square metre of BSA."),
        b.decimal(f"I.LDDOSE.{code}EXP", f"{drug} expected dose (per m² x BSA)", "mg", 0, mg_max, 1,
                  calculated="ld_dose_mg",
                  help="Calculated by the system from the dose per m² and the BSA on the lymphodepletion form."),
        b.decimal(f"I.LDDOSE.{code}MG", f"{drug} total dose given", "mg", 0, mg_max, 1,
                  help="Dose actually given; a deviation over 10 % from the expected dose needs the modification "
                       "recorded below."),
        b.datetime(f"I.LDDOSE.{code}STDTC", f"{drug} start date and time",
                   help="Start of the infusion."),
        b.datetime(f"I.LDDOSE.{code}ENDTC", f"{drug} stop date and time",
                   help="End of the infusion."),
        domain="EX",
    )


LDDOSE = form(
    "F.LDDOSE", "Lymphodepletion: daily dose",
    group(
        "IG.LDDOSE.DAY", "Day",
        b.date("I.LDDOSE.DAT", "Date of administration", required=True, sdtm="EXSTDAT",
               help="One form per lymphodepletion day (days -5, -4, -3)."),
        domain="EX",
    ),
    _ld_drug("FLU", "Fludarabine", 50, 200),
    _ld_drug("CY", "Cyclophosphamide", 2000, 8000),
    group(
        "IG.LDDOSE.MOD", "Modification",
        b.flag("I.LDDOSE.MOD", "Dose modified, interrupted or omitted", required=True,
               help="Tick if this day's dose differs from the prescription."),
        b.text("I.LDDOSE.MODSP", "Reason for modification",
               help="E.g. renal function, adverse event, infusion reaction."),
    ),
)

INF = form(
    "F.INF", "CAR-T cell infusion",
    group(
        "IG.INF.DOSE", "Dose",
        b.decimal("I.INF.WEIGHT", "Weight used for dosing", "kg", 8, 250, 1, required=True,
                  help="Body weight the dose was calculated from."),
        b.date("I.INF.WEIGHTDAT", "Date the dosing weight was measured", required=True,
               help="The protocol fixes the visit whose weight is used."),
        b.coded("I.INF.DOSELEVEL", "Prescribed dose level", cl.DOSELEVEL, required=True,
                help="Must match the dose level assigned at enrolment."),
        b.decimal("I.INF.DOSEKG", "Dose infused per kg", "x10^5 CAR-T cells/kg", 0.1, 20, 2, required=True,
                  help="Actual CAR+ cells infused per kg of dosing weight; 20 % around the level is the usual "
                       "tolerance."),
        b.decimal("I.INF.TOTAL", "Total CAR-T cells infused", "x10^6 cells", 0.01, 500, 2,
                  calculated="car_t_total_cells",
                  help="Calculated: dose per kg x weight used for dosing."),
        b.decimal("I.INF.TARGET", "Target total CAR-T cells", "x10^6 cells", 0.01, 500, 3,
                  calculated="car_t_target_cells",
                  help="Calculated: the prescribed dose level (cells/kg) x weight used for dosing."),
        b.decimal("I.INF.DEVPCT", "Deviation from target", "%", -100, 2000, 2, calculated="car_t_dose_deviation",
                  help="Calculated: (total infused - target) / target x 100, signed; outside the protocol's "
                       "tolerance (20 %) it is a dose deviation."),
        b.text("I.INF.DEVREASON", "Reason the infused dose is outside the tolerance", max_length=500,
               help="Required when the dose infused (e.g. an infusion stopped early) is outside the tolerance "
                    "of the target; the dose deviation is reviewed by the monitor."),
        b.text("I.INF.LOT", "Product lot number", required=True, max_length=40,
               help="From the infusion bag; must match the released lot."),
        domain="EX",
    ),
    group(
        "IG.INF.ADMIN", "Administration",
        b.datetime("I.INF.STDTC", "Infusion start date and time", required=True, sdtm="EXSTDTC",
                   help="Start of the infusion; this defines day 0."),
        b.datetime("I.INF.ENDTC", "Infusion stop date and time", required=True, sdtm="EXENDTC",
                   help="End of the infusion, including the flush."),
        b.flag("I.INF.COMPLETE", "Whole product infused", required=True,
               help="Untick if the infusion was stopped early or product was left."),
        b.flag("I.INF.PREMED", "Premedication given", required=True,
               help="E.g. paracetamol and an antihistamine; record details on the medication log."),
        b.text("I.INF.PREMEDSP", "Premedication, describe",
               help="Drugs, doses and times."),
        b.flag("I.INF.REACT", "Infusion reaction", required=True,
               help="Any reaction during or within 24 hours of the infusion; record it as an AE."),
        b.text("I.INF.REACTSP", "Infusion reaction, describe",
               help="Symptoms, timing and management."),
        domain="EX",
    ),
    group("IG.INF.VSPRE", "Vital signs before infusion",
          *vital_sign_items("INF", "PRE", "before infusion"), domain="VS"),
    group("IG.INF.VSPOST", "Vital signs after infusion",
          *vital_sign_items("INF", "POST", "after infusion"), domain="VS"),
)

# critical for source-data verification (ecrf.sdv): the product released and every dose given
PRODUCT = critical(PRODUCT, "I.PRODUCT.LOT", "I.PRODUCT.RELRES")
LD = critical(LD, "I.LD.HEIGHT", "I.LD.WEIGHT", "I.LD.BSA")
LDDOSE = critical(LDDOSE, "I.LDDOSE.DAT", *(f"I.LDDOSE.{drug}{part}" for drug in ("FLU", "CY")
                                            for part in ("YN", "M2", "EXP", "MG")))
INF = critical(INF, "I.INF.WEIGHT", "I.INF.DOSELEVEL", "I.INF.DOSEKG", "I.INF.TOTAL", "I.INF.LOT", "I.INF.STDTC",
               "I.INF.COMPLETE", "I.INF.TARGET", "I.INF.DEVPCT")

FORMS = (LEUK, PRODUCT, LD, LDDOSE, INF)
