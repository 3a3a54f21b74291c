"""/subjects/<subject>/efficacy: the subject's efficacy per visit, B-cell course and CAR-T kinetics."""
from __future__ import annotations

from ecrf.api import replies as out
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.efficacy import timeline
from ecrf.infra.extensions import db


def _days(values) -> list[out.DayValue]:
    return [out.DayValue(study_day=d, value=v) for d, v in values]


def _outcome(o: timeline.Outcome) -> out.EfficacyOutcome:
    return out.EfficacyOutcome(met=o.met, reason=o.reason)


def efficacy_model(found: timeline.SubjectEfficacy) -> out.SubjectEfficacy:
    """The computed efficacy as the API shows it."""
    bcell, cart = found.bcell, found.cart
    return out.SubjectEfficacy(
        subject=found.subject_key, infusion_date=found.infusion, first_doris_day=found.first_doris_day,
        first_lldas_day=found.first_lldas_day,
        visits=[out.EfficacyVisit(
            event_oid=v.event_oid, label=v.label, date=v.date, study_day=v.study_day, sledai=v.sledai,
            csledai=v.csledai, pga=v.pga, prednisone_mg=v.prednisone_mg, antimalarial=v.antimalarial,
            immunosuppressants=v.immunosuppressants, bilag=v.bilag, haemolysis=v.haemolysis,
            doris=_outcome(v.doris), lldas=_outcome(v.lldas), sri4=_outcome(v.sri4)) for v in found.visits],
        bcell=out.BCellCourse(aplasia_day=bcell.aplasia_day, recovery_day=bcell.recovery_day,
                              duration_days=bcell.duration_days, ongoing=bcell.ongoing, threshold=bcell.threshold,
                              values=_days(bcell.values), percent_values=_days(bcell.percent_values)),
        cart=out.CarTKinetics(peak=cart.peak, peak_day=cart.peak_day, last_detectable_day=cart.last_detectable_day,
                              unit=cart.unit, persistence=cart.persistence, values=_days(cart.values),
                              flow_values=_days(cart.flow_values)))


@route("/subjects/<subject>/efficacy", "GET", summary="The subject's efficacy: per visit, B cells, CAR-T kinetics",
       ok=out.SubjectEfficacy, errors=(404,),
       description="Computed from the stored data: per visit (screening is the baseline) SLEDAI-2K, clinical "
                   "SLEDAI, PGA, prednisone-equivalent dose, BILAG-2004 grades, and DORIS 2021 remission, LLDAS "
                   "and SRI-4 with the reason when not met or not assessable; B-cell aplasia and recovery from "
                   "the CD19+ counts; CAR-T peak, last detectable day and persistence. Study day 0 is the "
                   "infusion.")
def subject_efficacy(subject: str):
    found = find_subject(subject)
    return reply(efficacy_model(timeline.subject_efficacy(db.session, found)))
