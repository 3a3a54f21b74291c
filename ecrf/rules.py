"""The trial's rules around every form save, in the order capture runs them (given to it by the app factory).

Gates refuse a form that cannot be entered yet (when it is opened and at save); checks refuse a write's values
before anything is stored, all their problems at once; writers (named ``writes_...``) store the consequences of a
save in the same transaction. Order matters: consent comes before everything, service-owned forms next, then
the order of the cell-therapy steps.
"""
from __future__ import annotations

from ecrf.capture.rules import RuleSet
from ecrf.consent import guards as consent
from ecrf.enrolment import guards as enrolment
from ecrf.queries import system as queries
from ecrf.safety import adverse, notifications
from ecrf.sdv import services as sdv
from ecrf.signatures import services as signatures
from ecrf.treatment import guards as treatment
from ecrf.treatment import progress

TRIAL_RULES = RuleSet(
    # whether the form can be entered at all (asked when it is opened, too)
    gates=(
        consent.consent_before_data,
        enrolment.enrolment_form_is_service_owned,
        treatment.lymphodepletion_prerequisites,
        treatment.infusion_prerequisites,
    ),
    checks=(
        consent.registered_icf_version,
        consent.consent_precedes_procedures,
        treatment.lymphodepletion_order,
        treatment.infusion_order,
    ),
    writers=(
        treatment.writes_pregnancy_report_on_positive_test,
        progress.writes_subject_status_after_treatment,
        progress.writes_subject_status_at_end_of_study,
        # a grade 5 AE's "complete the death form" finding closes when the death form is saved
        adverse.writes_death_form_findings,
        # a new SAE, a positive pregnancy test, CRS/ICANS grade >= 3, a DLT: mailed once, through the outbox
        notifications.writes_safety_notifications,
    ),
    observers=(
        # a change with the reason "query response" answers the open queries on the changed items
        queries.answer_by_data_change,
        signatures.breaks_signatures,
        sdv.reset_on_change,
        # a CRS or ICANS grade reaching 3 by recalculation is mailed as a save would be
        notifications.notifies_recalculated_grades,
    ),
    # soft edit-check findings open system queries; those whose check holds again close themselves
    findings=(queries.sync_system_queries,),
)
