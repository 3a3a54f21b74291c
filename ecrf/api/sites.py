"""Lists across the subjects of the token's sites: the screening log and the visit calendar (as the web pages)."""
from __future__ import annotations

from ecrf.api import inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.routing import reply, route
from ecrf.casebook import sites
from ecrf.infra.extensions import db
from ecrf.subjects.access import visible_site_ids

MAX_DAYS = 3650


@route("/screening-log", "GET", summary="Every subject screened at your sites, and the outcome",
       ok=out.ScreeningLog, description="By screening number, screen failures included (with their reason).")
def screening_log():
    return reply(out.ScreeningLog(subjects=[out.ScreeningEntry(
        key=s.key, site=s.site.code, registered_at=s.created_at, status=s.status, subject_no=s.subject_no,
        screen_fail_reason=s.screen_fail_reason) for s in sites.screening_log(db.session, visible_site_ids(
            current_user()))]))


@route("/calendar", "GET", summary="Visits of your sites' subjects that need attention", ok=out.Calendar,
       query=("days",), errors=(400,),
       description="Overdue, due and out-of-window visits, and those whose window opens within `days` days (at "
                   "each subject's site); most urgent first, then by planned date. Screen failures are left out.")
def calendar():
    days = inputs.int_arg("days", sites.DEFAULT_HORIZON, 0, MAX_DAYS)
    rows = sites.calendar(db.session, visible_site_ids(current_user()), days)
    return reply(out.Calendar(days=days, visits=[out.CalendarVisit(
        subject=r.subject.key, subject_no=r.subject.subject_no, site=r.subject.site.code, event_oid=r.visit.oid,
        event_label=r.visit.event.label, repeat=r.visit.repeat, state=r.visit.state, planned_date=r.visit.target,
        window_start=r.visit.window_start, window_end=r.visit.window_end, actual_date=r.visit.actual)
        for r in rows]))
