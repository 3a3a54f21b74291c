"""What the subject's casebook page shows of haematotoxicity (ICAHT) and of the glucocorticoid taper and
immunosuppressant stops, from one read of the subject's forms (one SQL statement for both sections)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecrf.capture.facts import forms_with
from ecrf.safety import haematotoxicity
from ecrf.subjects.models import Subject
from ecrf.treatment import steroid_course


@dataclass(frozen=True)
class TreatmentSafety:
    #: (what, grade and basis or "cannot grade: <why>") lines of the ICAHT summary
    icaht: list[tuple[str, str]]
    course: steroid_course.TreatmentCourse


def build(session: Session, subject: Subject) -> TreatmentSafety:
    forms = forms_with(session, subject.id, haematotoxicity.OIDS | steroid_course.OIDS)
    tz = subject.site.zone
    return TreatmentSafety(haematotoxicity.summary(haematotoxicity.from_forms(forms, tz)),
                           steroid_course.course(forms, tz))
