"""Immunology (SLE serology, complement, immunoglobulins), inflammatory markers and CAR-T kinetics.

Lab limits (LLN/ULN) and the anti-dsDNA assay are recorded because the SLEDAI-2K serology
descriptors are judged against the testing laboratory's own range.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import codelist, form, group

DSDNA_METHOD = codelist(
    "CL.DSDNA_METHOD", "Anti-dsDNA assay",
    ("FARR", "Farr radioimmunoassay"),
    ("ELISA", "ELISA"),
    ("CLIA", "Chemiluminescence (CLIA)"),
    ("CLIFT", "Crithidia luciliae immunofluorescence (CLIFT)"),
    ("OTHER", "Other"),
)
DSDNA_UNIT = codelist(
    "CL.DSDNA_UNIT", "Anti-dsDNA unit",
    ("IU/mL", "IU/mL"), ("U/mL", "U/mL"), ("%", "% binding"), ("TITRE", "Titre denominator (1:N)"),
)

IMMUNO = form(
    "F.IMMUNO", "Immunology",
    group(
        "IG.IMMUNO.SAMPLE", "Sample",
        b.datetime("I.IMMUNO.DTC", "Date and time of sample collection", required=True, sdtm="LBDTC",
                   help="When the blood was drawn."),
        domain="LB",
    ),
    group(
        "IG.IMMUNO.AUTOAB", "Autoantibodies",
        b.coded("I.IMMUNO.ANA", "Antinuclear antibodies (ANA)", cl.POSNEG, sdtm="ANA",
                help="ANA by indirect immunofluorescence on HEp-2 cells."),
        b.integer("I.IMMUNO.ANATITRE", "ANA titre (denominator N of 1:N)", None, 0, 100000,
                  help="E.g. 320 for 1:320; 0 if negative at the lowest dilution."),
        b.decimal("I.IMMUNO.DSDNA", "Anti-dsDNA antibodies", None, 0, 100000, 1, required=True, sdtm="DSDNAAB",
                  help="Numeric result as reported, in the unit chosen below."),
        b.coded("I.IMMUNO.DSDNAU", "Anti-dsDNA unit", DSDNA_UNIT, required=True,
                help="Unit of the anti-dsDNA result."),
        b.decimal("I.IMMUNO.DSDNAULN", "Anti-dsDNA upper limit of normal", None, 0, 10000, 1, required=True,
                  help="Upper limit of the laboratory's range, in the same unit; above it scores increased DNA "
                       "binding in SLEDAI-2K."),
        b.coded("I.IMMUNO.DSDNAMTH", "Anti-dsDNA assay method", DSDNA_METHOD, required=True,
                help="Keep the same assay throughout the study where possible."),
        domain="LB",
    ),
    group(
        "IG.IMMUNO.COMPL", "Complement",
        b.decimal("I.IMMUNO.C3", "Complement C3", "g/L", 0, 5, 2, required=True, sdtm="C3",
                  help="Serum C3."),
        b.decimal("I.IMMUNO.C3LLN", "C3 lower limit of normal", "g/L", 0.1, 3, 2, required=True,
                  help="Lower limit of the laboratory's range; below it scores low complement."),
        b.decimal("I.IMMUNO.C4", "Complement C4", "g/L", 0, 2, 3, required=True, sdtm="C4",
                  help="Serum C4."),
        b.decimal("I.IMMUNO.C4LLN", "C4 lower limit of normal", "g/L", 0.01, 1, 3, required=True,
                  help="Lower limit of the laboratory's range; below it scores low complement."),
        b.decimal("I.IMMUNO.CH50", "Total haemolytic complement (CH50)", "U/mL", 0, 300, 1, sdtm="CH50",
                  help="Only if measured."),
        b.decimal("I.IMMUNO.CH50LLN", "CH50 lower limit of normal", "U/mL", 1, 200, 1,
                  help="Lower limit of the laboratory's range, if CH50 was measured."),
        domain="LB",
    ),
    group(
        "IG.IMMUNO.IG", "Immunoglobulins",
        b.decimal("I.IMMUNO.IGG", "Immunoglobulin G", "g/L", 0, 60, 2, required=True, sdtm="IGG",
                  help="IgG below 4 g/L (400 mg/dL) prompts monitoring and consideration of IVIG."),
        b.decimal("I.IMMUNO.IGA", "Immunoglobulin A", "g/L", 0, 20, 2, sdtm="IGA",
                  help="Serum IgA."),
        b.decimal("I.IMMUNO.IGM", "Immunoglobulin M", "g/L", 0, 30, 2, sdtm="IGM",
                  help="Serum IgM."),
        b.flag("I.IMMUNO.IVIG", "IVIG given in the 4 weeks before sample",
               help="Replacement immunoglobulin raises IgG; record it on the medication log."),
        domain="LB",
    ),
)

CYTOKINE = form(
    "F.CYTOKINE", "Inflammatory markers and cytokines",
    group(
        "IG.CYTOKINE.CYTOKINE", "Inflammatory markers",
        b.datetime("I.CYTOKINE.DTC", "Date and time of sample collection", required=True, sdtm="LBDTC",
                   help="When the blood was drawn."),
        b.decimal("I.CYTOKINE.CRP", "C-reactive protein", "mg/L", 0, 600, 1, required=True, sdtm="CRP",
                  help="Serum CRP."),
        b.decimal("I.CYTOKINE.FERRITIN", "Ferritin", "µg/L", 0, 500000, 1, required=True, sdtm="FERRITIN",
                  help="Serum ferritin (µg/L = ng/mL); rising ferritin with cytopenias suggests IEC-HS."),
        b.decimal("I.CYTOKINE.IL6", "Interleukin-6", "pg/mL", 0, 1000000, 1, sdtm="IL6",
                  help="Serum IL-6; note if drawn after tocilizumab, which raises it."),
        b.decimal("I.CYTOKINE.IL2R", "Soluble IL-2 receptor (sCD25)", "U/mL", 0, 100000, 1, sdtm="IL2R",
                  help="If measured."),
        b.decimal("I.CYTOKINE.IL10", "Interleukin-10", "pg/mL", 0, 100000, 1, sdtm="IL10",
                  help="If measured."),
        b.decimal("I.CYTOKINE.IFNG", "Interferon gamma", "pg/mL", 0, 100000, 1, sdtm="IFNG",
                  help="If measured."),
        domain="LB",
    ),
)

CARTPK = form(
    "F.CARTPK", "CAR-T kinetics and B cells",
    group(
        "IG.CARTPK.SAMPLE", "Sample",
        b.datetime("I.CARTPK.DTC", "Date and time of sample collection", required=True, sdtm="LBDTC",
                   help="Peripheral blood sample for flow cytometry and qPCR."),
        domain="LB",
    ),
    group(
        "IG.CARTPK.CART", "CAR-T expansion and persistence",
        b.decimal("I.CARTPK.FLOWPCT", "CAR+ T cells (flow cytometry)", "% of CD3+", 0, 100, 2,
                  help="CAR-positive cells as a percentage of CD3+ T cells."),
        b.decimal("I.CARTPK.FLOWABS", "CAR+ T cells (absolute)", "cells/µL", 0, 100000, 1,
                  help="Absolute CAR-positive T-cell count."),
        b.decimal("I.CARTPK.QPCR", "CAR transgene (qPCR)", "copies/µg DNA", 0, 100000000, 0,
                  help="Vector copies per microgram of genomic DNA; enter 0 if below the detection limit."),
        b.flag("I.CARTPK.QPCRBLQ", "qPCR below the limit of quantification",
               help="Tick if the lab reported the transgene as detectable but not quantifiable, or undetected."),
        domain="LB",
    ),
    group(
        "IG.CARTPK.BCELL", "B cells",
        b.decimal("I.CARTPK.CD19ABS", "CD19+ B cells (absolute)", "cells/µL", 0, 10000, 1, required=True,
                  sdtm="CD19",
                  help="Absolute CD19+ B-cell count; follows B-cell aplasia and recovery."),
        b.decimal("I.CARTPK.CD19PCT", "CD19+ B cells", "% of lymphocytes", 0, 100, 2,
                  help="CD19+ cells as a percentage of lymphocytes."),
        domain="LB",
    ),
)

FORMS = (IMMUNO, CYTOKINE, CARTPK)
