"""Each role's board through the API: the same figures as the web dashboard (ecrf.casebook.dashboards)."""
from __future__ import annotations

from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.queries import counts_model as query_counts
from ecrf.api.routing import reply, route
from ecrf.api.sdv import counts_model as sdv_counts
from ecrf.auth.permissions import can
from ecrf.casebook import dashboards
from ecrf.infra.extensions import db
from ecrf.queries.counts import Counts as QueryCounts
from ecrf.sdv.progress import Counts as SdvCounts
from ecrf.subjects.access import visible_site_ids


def _site(board: dashboards.SiteStaffBoard, signs: bool) -> out.SiteBoard:
    return out.SiteBoard(
        overdue_visits=len(board.work.overdue), missing_forms=len(board.work.missing),
        incomplete_forms=len(board.work.incomplete), queries=query_counts(board.queries),
        outstanding_signatures=len(board.outstanding_signatures) if signs else None,
        broken_signatures=len(board.broken_signatures) if signs else None)


def _monitor(board: dashboards.MonitorBoard) -> out.MonitorBoard:
    return out.MonitorBoard(
        sites=[out.MonitorSiteFigures(site=s.code, sdv=sdv_counts(board.sdv_by_site.get(s.id, SdvCounts())),
                                      queries=query_counts(board.queries_by_site.get(s.id, QueryCounts())))
               for s in board.sites.values()],
        subjects=[out.MonitorSubjectFigures(
            subject=s.key, site=s.site.code, sdv=sdv_counts(board.sdv_by_subject.get(s.id, SdvCounts())),
            queries=query_counts(board.queries_by_subject.get(s.id, QueryCounts())))
            for s in sorted(board.subjects.values(), key=lambda s: s.key)],
        sdv_worklist_forms=len(board.sdv_worklist))


def _data_manager(board: dashboards.DataManagerBoard) -> out.DataManagerBoard:
    return out.DataManagerBoard(queries=query_counts(board.queries), open_query_ageing=board.ageing,
                                active_locks=len(board.locks), outstanding_signatures=len(board.outstanding_signatures),
                                broken_signatures=len(board.broken_signatures))


def _sponsor(board: dashboards.SponsorBoard) -> out.SponsorBoard:
    e, c = board.enrolment, board.completeness
    return out.SponsorBoard(
        target=e.target, enrolled=e.enrolled, screened=e.screened,
        enrolment_by_month=[out.EnrolmentMonth(month=m, enrolled=n) for m, n in e.by_month],
        subjects_by_status=e.by_status, required_forms_expected=c.expected, required_forms_complete=c.complete,
        queries=query_counts(board.queries), sdv=sdv_counts(board.sdv))


_SECTIONS = {"site": _site, "monitor": _monitor, "data_manager": _data_manager, "sponsor": _sponsor}


@route("/dashboard", "GET", summary="Your role's board: the work waiting at your sites", ok=out.Dashboard,
       description="Site staff: overdue visits, missing and incomplete forms, queries, signatures (investigators). "
                   "Monitors: SDV and queries per site and subject. Data managers: query ageing, locks, signatures. "
                   "Sponsors: counts only. The number of database statements does not grow with the subjects.")
def dashboard():
    user = current_user()
    kind = dashboards.BOARDS.get(user.role)
    if kind is None:
        raise ApiError(403, "Your role has no board.")
    signs = can(user, "sign")
    board = dashboards.board_for(db.session, user.role, visible_site_ids(user), signs=signs)
    section = _site(board, signs) if kind == "site" else _SECTIONS[kind](board)
    return reply(out.Dashboard(board=kind, **{kind: section}))
