"""Exports on the web: the page to ask for them and follow their jobs, downloads, and the certified-copy check.

One casebook and the blank CRF are made inside the request (a second or less); whole-site and whole-study
exports are background jobs (ecrf.jobs) whose progress the page polls (static/js/exports.js)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.auth.permissions import can
from ecrf.errors import Invalid
from ecrf.exports import certified, scope, seal
from ecrf.exports.kinds import Run, kinds
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.jobs import inline, services
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.web.access import load_subject
from ecrf.web.actions import checked, perform

bp = Blueprint("exports", __name__)

#: the largest PDF the certified-copy check accepts (a populated casebook is well under 5 MB)
MAX_UPLOAD = 50 * 1024 * 1024


def identity():
    """The system's seal identity (configured or made at init-db); None leaves exports unsealed."""
    return seal.configured(current_app.instance_path, current_app.config)


def _offered() -> list:
    """The background kinds this user's role may ask for."""
    return [k for k in kinds().values() if k.background and can(current_user, k.action)]


def _page(status: int = 200, errors: dict | None = None, report=None):
    sites = db.session.scalars(select(Site).where(Site.id.in_(visible_site_ids(current_user) or {-1}))
                               .order_by(Site.code)).all()
    return render_template("exports/index.html", offered=_offered(), sites=sites,
                           jobs=services.mine(db.session, current_user),
                           labels={k.name: k.label for k in kinds().values()}, action=ActionForm(), errors=errors or {},
                           report=report, may_blank=can(current_user, "export_blank_crf")), status


@bp.get("/exports")
def index():
    return _page()


@bp.post("/exports")
def submit():
    checked()
    kind_name, site = request.form.get("kind", ""), request.form.get("site") or None
    done = perform(lambda: services.submit(db.session, scope.request_for(db.session, current_user, kind_name, site)),
                   lambda job: f"Export {job.id} queued: {kinds()[job.kind].label}. It appears below when ready.",
                   field=SimpleNamespace(errors=[]))
    if not done:
        refusal = done.refusal
        return _page(refusal.status, refusal.errors if isinstance(refusal, Invalid) else {"": str(refusal)})
    return redirect(url_for("exports.index"))


@bp.get("/exports/<int:job_id>/status")
def status(job_id: int):
    job = services.get(db.session, job_id, current_user)
    return jsonify(id=job.id, state=job.state, done=job.done, total=job.total, error=job.error,
                   percent=round(100 * job.done / job.total) if job.total else (100 if job.state == "done" else 0),
                   download=url_for("exports.download", job_id=job.id) if job.state == "done" else None)


@bp.get("/exports/<int:job_id>/download")
def download(job_id: int):
    job = services.get(db.session, job_id, current_user)
    # the download is audited before the file leaves
    path, filename, media_type = unit_of_work(db.session, lambda: services.take_file(db.session, job, current_user))
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=filename, max_age=0)


def _deliver(kind_name: str, subject_key: str | None = None) -> Response:
    made = inline.produce(db.session, scope.request_for(db.session, current_user, kind_name,
                                                        subject_key=subject_key), Run(identity=identity()))
    return Response(made.data, mimetype=made.media_type, headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"', "X-Content-SHA256": made.sha256,
        "Cache-Control": "no-store"})


@bp.get("/subjects/<key>/casebook.pdf")
def casebook(key: str):
    subject = load_subject(key, current_user)
    return _deliver("casebook", subject.key)


@bp.get("/crf/blank.pdf")
def blank_crf():
    return _deliver("blank_crf")


@bp.get("/crf/annotated.pdf")
def annotated_crf():
    return _deliver("annotated_crf")


@bp.post("/exports/verify")
def verify():
    """The certified-copy check of an uploaded casebook: is the seal intact, does it match the data today?"""
    checked()
    upload = request.files.get("casebook")
    if upload is None or not upload.filename:
        return _page(422, {"casebook": "Choose the casebook PDF to check."})
    data = upload.stream.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _page(413, {"casebook": "The file is larger than any casebook this system writes."})
    digest = hashlib.sha256(data).hexdigest()
    try:
        report, problem = certified.check(db.session, data, identity()), None
    except seal.Unreadable as exc:
        report, problem = None, str(exc)
    db.session.rollback()  # the check only reads
    if report is not None and not _may_read(report):
        report, problem = None, "it is the casebook of a subject at a site that is not yours"
    unit_of_work(db.session, lambda: certified.audited(db.session, digest, report, problem))
    if report is None:
        return _page(422, {"casebook": f"This file cannot be checked: {problem}."})
    return _page(report=Verdict.of(report, details=certified.shows_values(report, current_user.role)))


def _may_read(report) -> bool:
    subject = db.session.scalar(select(Subject).where(Subject.key == report.subject))
    return subject is None or subject.site_id in visible_site_ids(current_user)


@dataclass(frozen=True)
class Verdict:
    """What the page says of a checked copy; the changed values only to a reader who may see them."""

    subject: str
    matches: bool
    lines: tuple[str, ...]
    verdict: str

    @classmethod
    def of(cls, report, details: bool) -> Verdict:
        status = report.seal
        if not status.signed:
            lines = [f"Not sealed: {status.problem}."]
        else:
            when = status.signed_at.strftime("%Y-%m-%d %H:%M UTC") if status.signed_at else "an unknown time"
            lines = [f"Sealed by {status.signer} at {when}" + ("" if status.trusted else
                                                                " (not by this system's certificate)") + ".",
                     "The file is intact." if status.intact else
                     f"The file was altered after sealing: {status.problem}."]
        if report.matches:
            lines.append("Its data match the data today.")
        else:
            lines.append(f"{len(report.differences)} change(s) since the copy was made (copy -> today)"
                         + (":" if details else "; the copy was made for another role, so the values are not shown."))
            if details:
                lines += [str(d) for d in report.differences]
        verdict = ("A certified copy: sealed by this system, unaltered, and the data of today." if report.ok else
                   "Not a certified copy of today's data.")
        return cls(report.subject, report.ok, tuple(lines), verdict)
