"""CAR-T safety assessments: CRS and ICANS (ASTCT consensus, Lee 2019) and long-term follow-up.

The coded values of the grading inputs are the ids of ``domain-data.json`` (astct_crs,
astct_icans), which the grade calculators read. ICE is used from age 12 if the participant is
able; CAPD below 12 or with developmental delay (the cut-off is the protocol parameter
``icans_capd_below_age_years``). Grades and levels are calculated from the components.
"""
from __future__ import annotations

from ecrf.study.crfs import builders as b
from ecrf.study.crfs import codelists as cl
from ecrf.study.types import Item, codelist, critical, form, group

HYPOTENSION = codelist(
    "CL.CRS_HYPOT", "CRS hypotension",
    ("none", "None"),
    ("not_requiring_vasopressors", "Hypotension not requiring vasopressors"),
    ("one_vasopressor_with_or_without_vasopressin", "Requiring one vasopressor, with or without vasopressin"),
    ("multiple_vasopressors_excluding_vasopressin", "Requiring multiple vasopressors (excluding vasopressin)"),
)
HYPOXIA = codelist(
    "CL.CRS_HYPOX", "CRS hypoxia",
    ("none", "None"),
    ("low_flow_nasal_cannula_le_6L_or_blow_by", "Low-flow nasal cannula (<= 6 L/min) or blow-by"),
    ("high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi",
     "High-flow nasal cannula (> 6 L/min), facemask, non-rebreather or Venturi mask"),
    ("positive_pressure_cpap_bipap_or_mechanical_ventilation",
     "Positive pressure (CPAP, BiPAP, intubation and mechanical ventilation)"),
)
ICANS_TOOL = codelist(
    "CL.ICANS_TOOL", "Encephalopathy assessment",
    ("ICE", "ICE score (from the protocol's age cut-off, 12 years, and able to perform)"),
    ("CAPD", "CAPD (below the age cut-off, or developmental delay)"),
    ("UNABLE", "Not assessable: unarousable"),
)
LOC = codelist(
    "CL.ICANS_LOC", "Level of consciousness",
    ("normal", "Normal, fully awake"),
    ("awakens_spontaneously", "Awakens spontaneously"),
    ("awakens_to_voice", "Awakens to voice"),
    ("awakens_only_to_tactile_stimulus", "Awakens only to tactile stimulus"),
    ("unarousable_or_requires_vigorous_or_repetitive_tactile_stimuli_stupor_coma",
     "Unarousable, or needs vigorous or repetitive tactile stimuli; stupor or coma"),
)
SEIZURE = codelist(
    "CL.ICANS_SEIZ", "Seizure",
    ("none", "None"),
    ("clinical_seizure_resolving_rapidly_or_nonconvulsive_on_eeg_resolving_with_intervention",
     "Any clinical seizure resolving rapidly, or non-convulsive seizures on EEG resolving with intervention"),
    ("life_threatening_prolonged_gt_5min_or_repetitive_without_return_to_baseline",
     "Life-threatening prolonged seizure (> 5 min), or repetitive seizures without return to baseline"),
)
MOTOR = codelist(
    "CL.ICANS_MOTOR", "Motor findings",
    ("none", "None"),
    ("deep_focal_motor_weakness_hemiparesis_or_paraparesis", "Deep focal motor weakness (hemiparesis, paraparesis)"),
)
ICP = codelist(
    "CL.ICANS_ICP", "Raised intracranial pressure / cerebral oedema",
    ("none", "None"),
    ("focal_or_local_edema_on_neuroimaging", "Focal or local oedema on neuroimaging"),
    ("diffuse_cerebral_edema_or_decerebrate_decorticate_posturing_or_cn_vi_palsy_or_papilledema_or_cushings_triad",
     "Diffuse cerebral oedema; decerebrate or decorticate posturing; cranial nerve VI palsy; papilloedema; "
     "or Cushing's triad"),
)
# Answers are stored as words; the CAPD total (items 1-4 reverse-scored) is ecrf.clinical.icans.capd_total.
CAPD = codelist(
    "CL.CAPD", "CAPD answer",
    ("never", "Never"), ("rarely", "Rarely"), ("sometimes", "Sometimes"), ("often", "Often"), ("always", "Always"),
)
_CAPD_QUESTIONS = (
    "Does the child make eye contact with the caregiver?",
    "Are the child's actions purposeful?",
    "Is the child aware of his/her surroundings?",
    "Does the child communicate needs and wants?",
    "Is the child restless?",
    "Is the child inconsolable?",
    "Is the child underactive - very little movement while awake?",
    "Does it take the child a long time to respond to interactions?",
)

OXYGEN_DEVICE = codelist(
    "CL.CRS_O2DEV", "Oxygen delivery device",
    ("none", "None (room air)"),
    ("nasal_cannula", "Nasal cannula (standard): enter the flow"),
    ("blow_by", "Blow-by oxygen"),
    ("facemask", "Simple facemask"),
    ("non_rebreather", "Non-rebreather mask"),
    ("venturi", "Venturi mask"),
    ("high_flow_nasal_cannula", "High-flow nasal cannula (heated, humidified)"),
    ("cpap", "CPAP"),
    ("bipap", "BiPAP"),
    ("mechanical_ventilation", "Intubation and mechanical ventilation"),
)

# The grade and its levels are facts computed from the components entered (ecrf.clinical.crs), never a choice:
# a client-sent grade, level or fever is ignored.
CRS = form(
    "F.CRS", "Cytokine release syndrome assessment",
    group(
        "IG.CRS.CRS", "CRS assessment",
        b.datetime("I.CRS.DTC", "Date and time of assessment", required=True,
                   help="Grade the worst state since the previous assessment."),
        b.decimal("I.CRS.TEMP", "Highest temperature since the previous assessment", "°C", 30.0, 44.0, 1,
                  required=True, help="Maximum body temperature in the period; fever is 38.0 °C or more."),
        b.flag("I.CRS.FEVEROTH", "Fever attributable to another cause",
               help="Tick if the fever is explained by something other than CRS (e.g. a documented infection): "
                    "it then does not count as CRS fever."),
        b.flag("I.CRS.FEVER", "CRS fever (>= 38.0 °C, not attributable to another cause)", calculated="crs_fever",
               help="Calculated from the highest temperature and the other-cause tick."),
        b.flag("I.CRS.ANTIPYR", "Antipyretic or anticytokine therapy given (e.g. tocilizumab, corticosteroids)",
               required=True,
               help="Once given, or once fever was present at an earlier assessment, fever is no longer needed: "
                    "CRS is graded on hypotension and hypoxia. Record each drug on the medication log "
                    "(category CRS/ICANS treatment, with this CRS's AE record number)."),
    ),
    group(
        "IG.CRS.HYPOT", "Hypotension",
        b.flag("I.CRS.HYPOTYN", "Hypotension", required=True,
               help="Hypotension at any time in the period (adults and from 10 years: systolic < 90 mmHg; "
                    "children 1-10 years: < 70 + 2 x age in years; PALS)."),
        b.integer("I.CRS.SBPMIN", "Lowest systolic blood pressure", "mmHg", 20, 250, required=True,
                  help="The lowest systolic pressure in the period."),
        b.integer("I.CRS.VASOCNT", "Number of vasopressors (excluding vasopressin)", None, 0, 6,
                  help="Concurrent vasopressors at the worst point; 0 if none."),
        b.flag("I.CRS.VASOPRSN", "Vasopressin given",
               help="Vasopressin does not count as an additional vasopressor."),
        b.coded("I.CRS.HYPOT", "Hypotension level (ASTCT)", HYPOTENSION, calculated="crs_hypotension",
                help="Calculated from hypotension and the vasopressors given."),
    ),
    group(
        "IG.CRS.HYPOX", "Hypoxia",
        b.coded("I.CRS.O2DEV", "Oxygen delivery device", OXYGEN_DEVICE, required=True,
                help="The most intensive oxygen support in the period."),
        b.decimal("I.CRS.O2FLOW", "Oxygen flow", "L/min", 0, 80, 1,
                  help="Required for a nasal cannula: up to 6 L/min is low flow (grade 2), more is high flow "
                       "(grade 3). None with no oxygen."),
        b.coded("I.CRS.HYPOX", "Hypoxia level (ASTCT)", HYPOXIA, calculated="crs_hypoxia",
                help="Calculated from the device and the flow."),
    ),
    group(
        "IG.CRS.GRADE", "Grade",
        b.flag("I.CRS.DEATH", "Death due to CRS",
               help="Only if CRS is the principal cause of death (grade 5)."),
        b.integer("I.CRS.AENO", "Adverse event record number of this CRS", None, 1, 999,
                  help="Grade 1 or more: the number of the CRS record on the adverse event log (type of AESI: CRS)."),
        b.integer("I.CRS.GRADE", "CRS grade (ASTCT)", None, 0, 5, calculated="crs_grade",
                  help="Calculated: the worse of hypotension and hypoxia with CRS fever (or after fever or "
                       "treatment earlier in the episode); 1 for fever alone; 0 no CRS."),
    ),
    help="Organ toxicities are graded with CTCAE v5.0 on the AE log and do not change the CRS grade.",
)


def _ice_and_capd() -> tuple[Item, ...]:
    ice = (
        b.integer("I.ICANS.ICEORIENT", "ICE: orientation to year, month, city, hospital", "points", 0, 4,
                  help="1 point each."),
        b.integer("I.ICANS.ICEOBJECTS", "ICE: naming 3 objects", "points", 0, 3,
                  help="Point to e.g. a clock, pen and button; 1 point each."),
        b.integer("I.ICANS.ICECMD", "ICE: following simple commands", "points", 0, 1,
                  help="E.g. 'show me 2 fingers' or 'close your eyes and stick out your tongue'."),
        b.integer("I.ICANS.ICEWRITE", "ICE: writing a standard sentence", "points", 0, 1,
                  help="1 point for a standard sentence."),
        b.integer("I.ICANS.ICEATTN", "ICE: attention, count backwards from 100 by 10", "points", 0, 1,
                  help="1 point if correct."),
    )
    capd = tuple(
        b.coded(f"I.ICANS.CAPD{n}", f"CAPD {n}: {q}", CAPD,
                help="Observe over the shift with the caregiver. Items 1-4 score Never 4 ... Always 0, items 5-8 "
                     "Never 0 ... Always 4; total 0-32, 9 or more is positive. Not used at RASS -4 or below.")
        for n, q in enumerate(_CAPD_QUESTIONS, start=1)
    )
    return ice + capd


def _other_cause(oid: str, what: str) -> Item:
    return b.flag(oid, f"{what}: attributable to another cause",
                  help="Tick if explained by something other than ICANS (e.g. sedation, hyponatraemia, a stroke): "
                       "this domain then does not count towards the grade.")


ICANS = form(
    "F.ICANS", "ICANS assessment",
    group(
        "IG.ICANS.ASSESS", "Assessment",
        b.datetime("I.ICANS.DTC", "Date and time of assessment", required=True,
                   help="At least daily while in hospital; grade the worst state."),
        b.coded("I.ICANS.TOOL", "Encephalopathy tool used", ICANS_TOOL, required=True,
                help="ICE from the protocol's age cut-off (12 years) if able; CAPD below it or with developmental "
                     "delay."),
    ),
    group("IG.ICANS.ENC", "ICE (10 points) or CAPD (8 items, 0-32)", *_ice_and_capd(),
          _other_cause("I.ICANS.ENCOTH", "ICE or CAPD result")),
    group(
        "IG.ICANS.DOMAINS", "Other domains",
        b.coded("I.ICANS.LOC", "Depressed level of consciousness", LOC, required=True,
                help="Not counted if caused by something else, e.g. sedating drugs: tick below."),
        _other_cause("I.ICANS.LOCOTH", "Depressed consciousness"),
        b.coded("I.ICANS.SEIZ", "Seizure", SEIZURE, required=True,
                help="Clinical or electrographic seizures in the period."),
        _other_cause("I.ICANS.SEIZOTH", "Seizure"),
        b.coded("I.ICANS.MOTOR", "Motor findings", MOTOR, required=True,
                help="Tremor and myoclonus are graded with CTCAE and do not count."),
        _other_cause("I.ICANS.MOTOROTH", "Motor findings"),
        b.coded("I.ICANS.ICP", "Raised intracranial pressure / cerebral oedema", ICP, required=True,
                help="Intracranial haemorrhage is excluded from ICANS and graded with CTCAE."),
        _other_cause("I.ICANS.ICPOTH", "Raised intracranial pressure / cerebral oedema"),
        b.flag("I.ICANS.DEATH", "Death due to ICANS",
               help="Only if ICANS is the principal cause of death (grade 5)."),
        b.integer("I.ICANS.AENO", "Adverse event record number of this ICANS", None, 1, 999,
                  help="Grade 1 or more: the number of the ICANS record on the adverse event log (type of AESI: "
                       "ICANS)."),
        b.integer("I.ICANS.GRADE", "ICANS grade (ASTCT)", None, 0, 5, calculated="icans_grade",
                  help="Calculated: the most severe domain not attributable to another cause (ICE or CAPD, "
                       "consciousness, seizure, motor, oedema)."),
    ),
)

LTFU = form(
    "F.LTFU", "Long-term follow-up",
    group(
        "IG.LTFU.LTFU", "Contact",
        b.date("I.LTFU.DAT", "Date of assessment", required=True,
               help="Date of the yearly visit or contact."),
        b.flag("I.LTFU.VISIT", "Seen in person", help="Untick for a telephone or records review."),
    ),
    group(
        "IG.LTFU.EVENTS", "New events since the previous contact",
        b.flag("I.LTFU.MALIG", "New malignancy", required=True,
               help="Any new cancer; CAR-T recipients are monitored for life."),
        b.flag("I.LTFU.TCELL", "T-cell malignancy", required=True,
               help="Including CAR-positive lymphoma; send samples for CAR-transgene testing."),
        b.text("I.LTFU.MALIGSP", "Malignancy, describe", help="Type, date of diagnosis, samples sent."),
        b.flag("I.LTFU.NEURO", "New neurological disorder", required=True, help="E.g. neuropathy, movement disorder."),
        b.flag("I.LTFU.AUTOIMM", "New autoimmune disorder", required=True,
               help="A new autoimmune disease other than SLE."),
        b.flag("I.LTFU.HAEM", "New haematological disorder", required=True,
               help="E.g. prolonged cytopenia, myelodysplasia, aplastic anaemia."),
        b.text("I.LTFU.NEWDESC", "New disorders, describe", help="Diagnosis and date of each new disorder."),
        b.flag("I.LTFU.INFECT", "Serious infections", required=True,
               help="Infections needing hospitalisation or intravenous treatment; record each on the AE log."),
        b.integer("I.LTFU.INFECTN", "Number of serious infections", None, 0, 50, help="Since the previous contact."),
    ),
    group(
        "IG.LTFU.RCL", "Replication-competent lentivirus",
        b.coded("I.LTFU.RCLDONE", "RCL test performed", cl.NYNA, required=True,
                help="Not applicable if the product is not lentiviral."),
        b.date("I.LTFU.RCLDAT", "RCL sample date", help="Date the blood sample was taken."),
        b.coded("I.LTFU.RCLRES", "RCL result", cl.POSNEG, help="Report a positive result to the sponsor at once."),
    ),
)

# critical for source-data verification (ecrf.sdv): the CAR-T toxicity grades and the secondary malignancies
CRS = critical(CRS, "I.CRS.DTC", "I.CRS.TEMP", "I.CRS.FEVEROTH", "I.CRS.FEVER", "I.CRS.HYPOTYN", "I.CRS.SBPMIN",
               "I.CRS.VASOCNT", "I.CRS.VASOPRSN", "I.CRS.HYPOT", "I.CRS.O2DEV", "I.CRS.O2FLOW", "I.CRS.HYPOX",
               "I.CRS.GRADE")
ICANS = critical(ICANS, "I.ICANS.DTC", "I.ICANS.GRADE")
LTFU = critical(LTFU, "I.LTFU.MALIG", "I.LTFU.TCELL")

FORMS = (CRS, ICANS, LTFU)
