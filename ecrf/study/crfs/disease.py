"""Disease activity: SLEDAI-2K, physician global assessment, current SLE therapy, BILAG-2004.

SLEDAI-2K (Gladman, J Rheumatol 2002;29:288): 24 descriptors, each scoring its full weight if
present and attributable to SLE at the visit or in the look-back window (10 days; 30 days in the
Touma 2010 variant). Item OIDs are ``I.SLEDAI.<id>`` with the ids of ``ecrf.clinical.sledai`` in
upper case; the weight is in each label. Total 0-105.
"""
from __future__ import annotations

from ecrf.clinical import sledai
from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import NOT_DONE, Item, codelist, critical, form, group

LOOKBACK = codelist(
    "CL.LOOKBACK", "SLEDAI-2K look-back",
    ("10", "10 days (standard)"), ("30", "30 days (SLEDAI-2K 30-day variant)"),
    data_type="integer",
)

_ATTR = " Score only if attributable to SLE and present at the visit or within the look-back period."

# (id, descriptor, weight, definition) in the order of the published form.
SLEDAI_DESCRIPTORS: tuple[tuple[str, str, int, str], ...] = (
    ("seizure", "Seizure", 8, "Recent onset; exclude metabolic, infectious or drug causes."),
    ("psychosis", "Psychosis", 8,
     "Altered ability to function due to severe disturbance in perception of reality: hallucinations, "
     "incoherence, marked loose associations, impoverished thought content, marked illogical thinking, bizarre, "
     "disorganised or catatonic behaviour. Exclude uraemia and drugs."),
    ("organic_brain_syndrome", "Organic brain syndrome", 8,
     "Altered mental function with impaired orientation, memory or intellect, rapid onset and fluctuating: "
     "clouding of consciousness with reduced attention, plus >=2 of perceptual disturbance, incoherent speech, "
     "insomnia or daytime drowsiness, increased or decreased psychomotor activity. Exclude metabolic, "
     "infectious or drug causes."),
    ("visual_disturbance", "Visual disturbance", 8,
     "Retinal changes of SLE: cytoid bodies, retinal haemorrhages, serous exudate or haemorrhages in the "
     "choroid, or optic neuritis. Exclude hypertension, infection or drug causes."),
    ("cranial_nerve_disorder", "Cranial nerve disorder", 8,
     "New onset of sensory or motor neuropathy involving cranial nerves."),
    ("lupus_headache", "Lupus headache", 8,
     "Severe, persistent headache; may be migrainous but must be nonresponsive to narcotic analgesia."),
    ("cva", "Cerebrovascular accident", 8, "New onset of cerebrovascular accident(s). Exclude arteriosclerosis."),
    ("vasculitis", "Vasculitis", 8,
     "Ulceration, gangrene, tender finger nodules, periungual infarction, splinter haemorrhages, or biopsy or "
     "angiogram proof of vasculitis."),
    ("arthritis", "Arthritis", 4, ">=2 joints with pain and signs of inflammation (tenderness, swelling or effusion)."),
    ("myositis", "Myositis", 4,
     "Proximal muscle aching or weakness with elevated CK/aldolase, electromyogram changes or a biopsy showing "
     "myositis."),
    ("urinary_casts", "Urinary casts", 4, "Heme-granular or red blood cell casts."),
    ("hematuria", "Haematuria", 4, ">5 red blood cells/high-power field. Exclude stone, infection or other cause."),
    ("proteinuria", "Proteinuria", 4, ">0.5 g/24 hours. Persistent proteinuria counts."),
    ("pyuria", "Pyuria", 4, ">5 white blood cells/high-power field. Exclude infection."),
    ("rash", "Rash", 2, "Inflammatory-type rash. Persistent rash counts."),
    ("alopecia", "Alopecia", 2, "Abnormal, patchy or diffuse loss of hair. Persistent alopecia counts."),
    ("mucosal_ulcers", "Mucosal ulcers", 2, "Oral or nasal ulcerations. Persistent ulcers count."),
    ("pleurisy", "Pleurisy", 2, "Pleuritic chest pain with pleural rub or effusion, or pleural thickening."),
    ("pericarditis", "Pericarditis", 2,
     "Pericardial pain with at least one of: rub, effusion, or electrocardiogram or echocardiogram confirmation."),
    ("low_complement", "Low complement", 2,
     "Decrease in CH50, C3 or C4 below the lower limit of normal of the testing laboratory."),
    ("increased_dna_binding", "Increased DNA binding", 2,
     "Anti-dsDNA (DNA binding) above the normal range of the testing laboratory."),
    ("fever", "Fever", 1, ">38 °C. Exclude infectious cause."),
    ("thrombocytopenia", "Thrombocytopenia", 1, "<100 x10^9 platelets/L. Exclude drug causes."),
    ("leukopenia", "Leukopenia", 1, "<3 x10^9 white blood cells/L (<3000/mm³). Exclude drug causes."),
)


_LABORATORY = {d.id for d in sledai.DESCRIPTORS if d.laboratory}


def _descriptor(cid: str, label: str, weight: int, definition: str) -> Item:
    """Every descriptor is answered yes or no (an unanswered one is not "absent": the total is then unknown); a
    laboratory descriptor whose test was not done in the look-back period may be answered "not done"."""
    unit = "point" if weight == 1 else "points"
    return b.flag(f"I.SLEDAI.{cid.upper()}", f"{label} ({weight} {unit})", help=definition + _ATTR, required=True,
                  missing_allowed=(NOT_DONE,) if cid in _LABORATORY else ())


SLEDAI = form(
    "F.SLEDAI", "SLEDAI-2K",
    group(
        "IG.SLEDAI.ASSESS", "Assessment",
        b.date("I.SLEDAI.DAT", "Date of assessment", required=True,
               help="Date of the visit at which the SLEDAI-2K is scored."),
        b.coded("I.SLEDAI.LOOKBACK", "Look-back period", LOOKBACK, required=True,
                help="10 days is standard; use the same period for every visit of the participant."),
    ),
    group("IG.SLEDAI.DESC", "Descriptors (answer each: yes if present)",
          *(_descriptor(*d) for d in SLEDAI_DESCRIPTORS)),
    group(
        "IG.SLEDAI.TOTAL", "Score",
        b.integer("I.SLEDAI.TOTAL", "SLEDAI-2K total", "points", 0, 105, calculated="sledai_2k",
                  help="Calculated: sum of the weights of the descriptors present, once all 24 are answered. "
                       "IN4 requires 8 or more."),
        b.integer("I.SLEDAI.CTOTAL", "Clinical SLEDAI (without serology)", "points", 0, 101,
                  calculated="clinical_sledai",
                  help="Calculated: the SLEDAI-2K total without low complement and increased DNA binding, once "
                       "the 22 other descriptors are answered (DORIS 2021 remission needs 0)."),
    ),
    help="Score after the physician global assessment. Laboratory descriptors use results from the look-back "
         "period.",
)

PGA = form(
    "F.PGA", "Physician global assessment",
    group(
        "IG.PGA.PGA", "Physician global assessment",
        b.date("I.PGA.DAT", "Date of assessment", required=True,
               help="Date of the visit."),
        b.decimal("I.PGA.SCORE", "Physician global assessment of disease activity", None, 0, 3, 1, required=True,
                  help="0 none, 1 mild, 2 moderate, 3 severe (SELENA-SLEDAI PGA); rate before reviewing serology "
                       "and before scoring SLEDAI-2K."),
    ),
)


BILAG_GRADE = codelist(
    "CL.BILAG", "BILAG-2004 domain grade",
    ("A", "A: severe activity (needs high-dose glucocorticoid, IV pulse or immunosuppressant, anticoagulation)"),
    ("B", "B: moderate activity (needs low-dose oral glucocorticoid, injected or topical steroid, antimalarial)"),
    ("C", "C: mild activity (symptomatic treatment only)"),
    ("D", "D: inactive now, previously affected"),
    ("E", "E: never involved"),
)

# (domain id of ecrf.clinical.outcomes.BILAG_DOMAINS, label, what the domain covers)
BILAG_DOMAINS: tuple[tuple[str, str, str], ...] = (
    ("constitutional", "Constitutional", "Pyrexia, weight loss, lymphadenopathy/splenomegaly, anorexia."),
    ("mucocutaneous", "Mucocutaneous", "Rashes, alopecia, mucosal ulceration, panniculitis, angio-oedema, "
                                       "cutaneous vasculitis."),
    ("neuropsychiatric", "Neuropsychiatric", "Aseptic meningitis, cerebral vasculitis, demyelination, myelopathy, "
                                             "seizures, psychosis, acute confusion, neuropathies, cognitive "
                                             "dysfunction."),
    ("musculoskeletal", "Musculoskeletal", "Myositis, arthritis (severe, moderate or mild), tendonitis."),
    ("cardiorespiratory", "Cardiorespiratory", "Myocarditis, endocarditis, arrhythmia, valvular dysfunction, "
                                               "serositis, pneumonitis, interstitial lung disease, shrinking lung, "
                                               "pulmonary haemorrhage or vasculitis."),
    ("gastrointestinal", "Gastrointestinal", "Peritonitis, serositis, lupus enteritis or colitis, "
                                             "malabsorption, protein-losing enteropathy, hepatitis, "
                                             "cholecystitis, pancreatitis."),
    ("ophthalmic", "Ophthalmic", "Orbital inflammation, keratitis, uveitis, scleritis, retinal vasculitis or "
                                 "vaso-occlusive disease, optic neuritis."),
    ("renal", "Renal", "Blood pressure, urine protein (UPCR or 24 h), creatinine/GFR, active urinary sediment, "
                       "biopsy-proven active nephritis."),
    ("haematological", "Haematological", "Haemoglobin and haemolysis, white cells, neutrophils, lymphocytes, "
                                         "platelets, TTP."),
)

BILAG = form(
    "F.BILAG", "BILAG-2004 disease activity",
    group(
        "IG.BILAG.ASSESS", "Assessment",
        b.date("I.BILAG.DAT", "Date of assessment", required=True,
               help="Date of the visit at which the BILAG-2004 index is scored."),
    ),
    group(
        "IG.BILAG.DOMAINS", "Organ-domain grades (A-E)",
        *(b.coded(f"I.BILAG.{did.upper()}", label, BILAG_GRADE, required=True,
                  help=f"{covers} Grade from the BILAG-2004 items of the domain: features of the last 4 weeks "
                       "compared with the previous 4 weeks, attributable to SLE.")
          for did, label, covers in BILAG_DOMAINS),
        b.flag("I.BILAG.HAEMOLYSIS", "Autoimmune haemolytic anaemia at present", required=True,
               help="Evidence of haemolysis (low haemoglobin with reticulocytosis, low haptoglobin, raised LDH or "
                    "bilirubin) with a positive direct antiglobulin test, attributable to SLE. LLDAS requires none."),
    ),
    help="BILAG-2004 (Isenberg, Rheumatology 2005;44:902): grade each of the nine domains; SRI-4 counts new A and "
         "B grades against the screening (baseline) assessment.",
)


def _current_is_items() -> tuple[Item, ...]:
    return tuple(
        b.flag(f"I.GCIS.{code}", drug, help=f"Tick if {drug.split(' (')[0].lower()} is taken at present.")
        for code, drug in cl.IMMUNOSUPPRESSANTS
    )


GCIS = form(
    "F.GCIS", "Current glucocorticoid and immunosuppressant use",
    group(
        "IG.GCIS.GC", "Glucocorticoid",
        b.date("I.GCIS.DAT", "Date assessed", required=True,
               help="Date of the visit at which current SLE therapy was reviewed."),
        b.flag("I.GCIS.GCYN", "Currently taking a systemic glucocorticoid", required=True,
               help="Oral or intravenous; not topical or inhaled."),
        b.coded("I.GCIS.GCDRUG", "Glucocorticoid", cl.GCDRUG,
                help="The systemic glucocorticoid currently taken."),
        b.decimal("I.GCIS.GCDOSE", "Current daily dose", "mg/day", 0, 2000, 2,
                  help="Total daily dose of the drug chosen."),
        b.decimal("I.GCIS.GCPREDEQ", "Prednisone-equivalent dose", "mg/day", 0, 15000, 2,
                  calculated="prednisone_equivalent",
                  help="Calculated from the drug and dose (prednisone 5 mg = methylprednisolone 4 mg = "
                       "dexamethasone 0.75 mg)."),
    ),
    group(
        "IG.GCIS.IS", "Antimalarial, immunosuppressants and biologics",
        b.flag("I.GCIS.HCQ", "Hydroxychloroquine", help="Tick if hydroxychloroquine is taken at present."),
        b.flag("I.GCIS.ISYN", "Any immunosuppressant or biologic at present", required=True,
               help="Tick the drugs below; record doses on the concomitant medication log."),
        *_current_is_items(),
        b.text("I.GCIS.ISOTHER", "Other immunosuppressant or biologic",
               help="Any other immunosuppressive or biologic therapy taken at present."),
    ),
)

# critical for source-data verification (ecrf.sdv): the efficacy endpoints (SLEDAI-2K with every descriptor it
# sums, and the PGA and glucocorticoid dose that decide DORIS remission)
SLEDAI = critical(SLEDAI, "I.SLEDAI.DAT", "I.SLEDAI.TOTAL", "I.SLEDAI.CTOTAL",
                  *(f"I.SLEDAI.{d[0].upper()}" for d in SLEDAI_DESCRIPTORS))
PGA = critical(PGA, "I.PGA.SCORE")
BILAG = critical(BILAG, "I.BILAG.DAT", *(f"I.BILAG.{d[0].upper()}" for d in BILAG_DOMAINS))
GCIS = critical(GCIS, "I.GCIS.GCYN", "I.GCIS.GCDRUG", "I.GCIS.GCDOSE", "I.GCIS.GCPREDEQ")

FORMS = (SLEDAI, PGA, GCIS, BILAG)
