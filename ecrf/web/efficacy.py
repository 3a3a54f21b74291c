"""A subject's efficacy page: per visit SLEDAI-2K, clinical SLEDAI, PGA, prednisone, BILAG-2004 and DORIS, LLDAS and
SRI-4 with their reasons; the B-cell course and CAR-T kinetics (ecrf.efficacy.timeline computes all of it)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ecrf.efficacy import timeline
from ecrf.infra.extensions import db
from ecrf.study.crfs.disease import BILAG_DOMAINS
from ecrf.web.access import load_subject

bp = Blueprint("efficacy", __name__)


@bp.get("/subjects/<key>/efficacy")
def subject(key: str):
    found = load_subject(key, current_user)
    return render_template("efficacy/subject.html", subject=found,
                           efficacy=timeline.subject_efficacy(db.session, found),
                           domains=[(d, label) for d, label, _ in BILAG_DOMAINS])
