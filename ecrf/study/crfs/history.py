"""Screening history: SLE history with the 2019 EULAR/ACR criteria, prior SLE treatment, medical history.

EULAR/ACR 2019 (Aringer, Ann Rheum Dis 2019;78:1151): entry criterion ANA >= 1:80 at least once;
items are weighted 2-10, only the highest item of a domain counts, and SLE is classified at >= 10
points with at least one clinical item (IN2). Item OIDs are ``I.SLEHX.<id>`` with the ids of
``ecrf.clinical.eular_acr`` in upper case.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import Item, ItemGroup, form, group

_EVER = " Tick if ever present (at least once, not necessarily now) and no more likely explanation than SLE."

# (domain label, ((id, label, weight, definition), ...)) - weights as ecrf.clinical.eular_acr.
_EULAR = (
    ("Constitutional", (("fever", "Fever", 2, "Temperature >38.3 °C."),)),
    ("Haematologic", (
        ("leukopenia", "Leukopenia", 3, "WBC <4.0 x10^9/L."),
        ("thrombocytopenia", "Thrombocytopenia", 4, "Platelets <100 x10^9/L."),
        ("autoimmune_hemolysis", "Autoimmune haemolysis", 4,
         "Evidence of haemolysis (reticulocytosis, low haptoglobin, raised indirect bilirubin, raised LDH) "
         "AND a positive direct antiglobulin (Coombs) test."),
    )),
    ("Neuropsychiatric", (
        ("delirium", "Delirium", 2, "Change in consciousness or arousal, developing over hours to <2 days, "
                                    "fluctuating, with acute change in cognition or behaviour."),
        ("psychosis", "Psychosis", 3, "Delusions and/or hallucinations without insight, without delirium."),
        ("seizure", "Seizure", 5, "Primary generalised or partial/focal seizure."),
    )),
    ("Mucocutaneous", (
        ("non_scarring_alopecia", "Non-scarring alopecia", 2, "Observed by a clinician."),
        ("oral_ulcers", "Oral ulcers", 2, "Observed by a clinician."),
        ("subacute_cutaneous_or_discoid_lupus", "Subacute cutaneous or discoid lupus", 4,
         "Observed by a clinician; typical biopsy changes if biopsied."),
        ("acute_cutaneous_lupus", "Acute cutaneous lupus", 6,
         "Malar or generalised maculopapular rash observed by a clinician; typical biopsy changes if biopsied."),
    )),
    ("Serosal", (
        ("pleural_or_pericardial_effusion", "Pleural or pericardial effusion", 5, "Imaging evidence of effusion."),
        ("acute_pericarditis", "Acute pericarditis", 6,
         ">=2 of: pericardial chest pain, pericardial rub, ECG new widespread ST elevation or PR depression, "
         "new or worse pericardial effusion on imaging."),
    )),
    ("Musculoskeletal", (
        ("joint_involvement", "Joint involvement", 6,
         "Synovitis in >=2 joints (swelling or effusion), or tenderness in >=2 joints with >=30 minutes of "
         "morning stiffness."),
    )),
    ("Renal", (
        ("proteinuria", "Proteinuria >0.5 g/24 h", 4,
         "By 24-hour urine or an equivalent spot protein/creatinine ratio."),
        ("ln_class_ii_or_v", "Renal biopsy class II or V lupus nephritis", 8, "ISN/RPS classification."),
        ("ln_class_iii_or_iv", "Renal biopsy class III or IV lupus nephritis", 10, "ISN/RPS classification."),
    )),
    ("Antiphospholipid antibodies", (
        ("apl_positive", "Anti-cardiolipin or anti-beta2GP1 antibodies or lupus anticoagulant", 2,
         "Anticardiolipin at medium/high titre (>40 APL, GPL or MPL units), anti-beta2GP1 positive, or lupus "
         "anticoagulant positive."),
    )),
    ("Complement proteins", (
        ("low_c3_or_low_c4", "Low C3 or low C4", 3, "One of C3 or C4 below the laboratory's lower limit of normal."),
        ("low_c3_and_low_c4", "Low C3 and low C4", 4, "Both below the laboratory's lower limit of normal."),
    )),
    ("SLE-specific antibodies", (
        ("anti_dsdna_or_anti_smith", "Anti-dsDNA or anti-Smith antibody", 6,
         "Anti-dsDNA in an immunoassay with >=90 % specificity against relevant disease controls, or anti-Sm "
         "positive."),
    )),
)


def _eular_group(n: int, domain: str, criteria) -> ItemGroup:
    items = tuple(
        b.flag(f"I.SLEHX.{cid.upper()}", f"{label} ({weight} points)", help=definition + _EVER)
        for cid, label, weight, definition in criteria
    )
    return group(f"IG.SLEHX.D{n}", f"EULAR/ACR 2019: {domain}", *items)


SLEHX = form(
    "F.SLEHX", "SLE history and 2019 EULAR/ACR criteria",
    group(
        "IG.SLEHX.HX", "SLE history and entry criterion",
        b.date("I.SLEHX.DIAGDAT", "Date of SLE diagnosis", required=True, partial="year",
               help="Date SLE was first diagnosed; YYYY-MM or YYYY when the day or month is not known (never "
                    "guess a day)."),
        b.date("I.SLEHX.ONSETDAT", "Date of first SLE symptoms", partial="year",
               help="Date of the first symptoms attributed to SLE; YYYY-MM or YYYY when only that is known."),
        b.integer("I.SLEHX.ANATITRE", "Highest ANA titre ever (denominator N of 1:N)", None, 0, 100000,
                  required=True,
                  help="HEp-2 immunofluorescence, e.g. 320 for 1:320; 0 if never positive. Entry criterion: "
                       ">= 1:80 at least once."),
        b.date("I.SLEHX.ANADAT", "Date of that ANA test", partial="year",
               help="Date of the test giving the highest titre; YYYY-MM or YYYY when only that is known."),
        b.flag("I.SLEHX.ANAEQUIV", "Equivalent positive ANA test (not HEp-2 immunofluorescence)",
               help="Tick only if the entry criterion is met by another test of equivalent performance."),
    ),
    *(_eular_group(n, domain, criteria) for n, (domain, criteria) in enumerate(_EULAR, start=1)),
    help="Each criterion counts if it ever occurred; criteria need not be simultaneous.",
)

def _immunosuppressant_items() -> tuple[Item, ...]:
    items: list[Item] = []
    for code, drug in cl.IMMUNOSUPPRESSANTS:
        items += [
            b.flag(f"I.PRIORTX.{code}", f"{drug}: received", required=True,
                   help=f"Tick if the participant has ever received {drug.split(' (')[0].lower()} for SLE."),
            b.integer(f"I.PRIORTX.{code}MON", f"{drug}: total duration", "months", 0, 600,
                      help="Cumulative months of treatment; 0 if less than one month."),
            b.flag(f"I.PRIORTX.{code}INT", f"{drug}: stopped for intolerance",
                   help="Tick if it was stopped or not escalated because of side effects."),
        ]
    return tuple(items)


PRIORTX = form(
    "F.PRIORTX", "Prior SLE treatment",
    group(
        "IG.PRIORTX.GC", "Glucocorticoids",
        b.coded("I.PRIORTX.GCDRUG", "Glucocorticoid at the highest dose", cl.GCDRUG, required=True,
                help="The systemic glucocorticoid given at the highest dose."),
        b.decimal("I.PRIORTX.GCDOSE", "Highest daily dose", "mg/day", 0, 2000, 2, required=True,
                  help="In mg/day of the drug chosen (not prednisone-equivalent); IN3 needs >= 1 mg/kg/day "
                       "prednisone-equivalent."),
        b.decimal("I.PRIORTX.GCWT", "Body weight when on that dose", "kg", 8, 250, 1, required=True,
                  help="Weight used to express the dose per kg."),
        b.integer("I.PRIORTX.GCMON", "Duration of high-dose glucocorticoid", "months", 0, 600, required=True,
                  help="Months at prednisone-equivalent >= 1 mg/kg/day; IN3 needs 3 or more."),
        b.flag("I.PRIORTX.GCINT", "Glucocorticoid intolerance",
               help="Tick if high-dose glucocorticoid was not tolerated."),
    ),
    group(
        "IG.PRIORTX.HCQ", "Hydroxychloroquine",
        b.flag("I.PRIORTX.HCQ", "Hydroxychloroquine: received", required=True,
               help="Tick if the participant has ever received hydroxychloroquine."),
        b.integer("I.PRIORTX.HCQMON", "Hydroxychloroquine: total duration", "months", 0, 600,
                  help="Cumulative months of treatment."),
        b.flag("I.PRIORTX.HCQINT", "Hydroxychloroquine: stopped for intolerance or contraindication",
               help="E.g. retinopathy, rash or other intolerance."),
    ),
    group("IG.PRIORTX.IS", "Immunosuppressants and biologics (IN3)", *_immunosuppressant_items()),
    group(
        "IG.PRIORTX.OTHER", "Other",
        b.flag("I.PRIORTX.STDINT", "Intolerant of standard SLE treatment",
               help="The alternative route to IN3: intolerance of standard treatment, documented in the record."),
        b.text("I.PRIORTX.STDINTSP", "Intolerance, describe",
               help="Which treatments were not tolerated and the reactions."),
        b.flag("I.PRIORTX.GENETX", "Prior CAR-T or other gene therapy",
               help="Usually an exclusion criterion."),
        b.text("I.PRIORTX.OTHERTX", "Other prior SLE treatments",
               help="E.g. plasma exchange, IVIG, other investigational drugs, with dates."),
    ),
)

MH = form(
    "F.MH", "Medical history",
    group(
        "IG.MH.MH", "Condition",
        b.text("I.MH.TERM", "Condition or procedure", required=True, sdtm="MHTERM", max_length=200,
               help="One relevant past or current condition or surgery per record, other than SLE itself."),
        b.date("I.MH.STDAT", "Start date", sdtm="MHSTDAT", partial="year",
               help="Onset date; YYYY-MM or YYYY when the day or month is not known (never guess a day)."),
        b.coded("I.MH.ONGO", "Ongoing at screening", cl.NY, required=True, sdtm="MHONGO",
                help="Yes if the condition is still present at screening."),
        b.date("I.MH.ENDAT", "End date", sdtm="MHENDAT", partial="year",
               help="Date resolved, if not ongoing; YYYY-MM or YYYY when only that is known."),
        domain="MH",
    ),
    repeating=True,
    help="One record per relevant condition; lupus manifestations go on the SLE history form.",
)

FORMS = (SLEHX, PRIORTX, MH)
