"""Safety on the web: the SAE list, each SAE with its reporting clocks (due in UTC and site time), the reports sent,
and overdue and due-soon ones flagged. Each reader sees the SAEs of their own sites (ecrf.subjects.access)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ecrf.infra.extensions import db
from ecrf.safety import clocks
from ecrf.safety import saes as sae_list
from ecrf.study.clock import utcnow
from ecrf.study.crfs.adverse import SAERECIP
from ecrf.subjects.access import visible_site_ids

bp = Blueprint("safety", __name__)


@bp.get("/safety/saes")
def saes():
    now = utcnow()
    rows = sae_list.list_saes(db.session, visible_site_ids(current_user), current_user.role)
    entries = [(row, row.state(now), [(c, c.state(now)) for c in row.clocks]) for row in rows]
    return render_template("safety/saes.html", entries=entries, now=now, rules=clocks.VERSION,
                           labels=clocks.LABELS, recipients={i.value: i.label for i in SAERECIP.items})
