"""Each role's first screen: the work waiting for them (ecrf.casebook.dashboards computes it)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ecrf.auth.permissions import can
from ecrf.capture import locks
from ecrf.casebook import dashboards
from ecrf.infra.extensions import db
from ecrf.queries.models import STATES
from ecrf.study.clock import utcnow
from ecrf.subjects.access import visible_site_ids

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
def index():
    kind = dashboards.BOARDS.get(current_user.role)
    if kind is None:
        abort(403)
    board = dashboards.board_for(db.session, current_user.role, visible_site_ids(current_user),
                                 signs=can(current_user, "sign"))
    return render_template(f"dashboard/{kind}.html", board=board, states=STATES, now=utcnow(),
                           lock_text=locks.describe, shown=dashboards.SHOWN_ON_PAGE)
