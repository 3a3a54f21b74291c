"""The enrolment form is written by the enrolment service only."""
from __future__ import annotations

from ecrf.errors import Refused


def enrolment_form_is_service_owned(session, t, origin) -> None:
    """A gate: the form opens read-only, with a link to the Enrol action."""
    if t.form.oid == "F.ENROL" and origin != "enrolment":
        raise Refused("The enrolment form is filled by the Enrol action (subject number, dose level); "
                      "it cannot be edited by hand.", first="enrolment")
