"""Exports through the API: background jobs (ask, follow, fetch the file) and the files made on the spot (one
casebook, the blank and annotated CRF). The same services and the same audit as the web pages."""
from __future__ import annotations

from flask import Response, current_app, send_file, url_for

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.exports import scope, seal
from ecrf.exports.kinds import Run, kinds
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.jobs import inline, services

FILES = ("application/pdf", "application/zip", "application/xml")


def _identity():
    return seal.configured(current_app.instance_path, current_app.config)


def job_model(job) -> out.ExportJob:
    done = job.state == "done"
    return out.ExportJob(
        id=job.id, kind=job.kind, label=kinds()[job.kind].label, state=job.state, done=job.done, total=job.total,
        requested_at=job.requested_at, finished_at=job.finished_at, expires_at=job.expires_at,
        filename=job.filename, sha256=job.sha256, size=job.size, error=job.error,
        file=url_for("api.export_file", job_id=job.id) if done else None)


@route("/exports", "GET", summary="Your background exports, newest first", ok=out.ExportJobList)
def exports():
    return reply(out.ExportJobList(jobs=[job_model(j) for j in services.mine(db.session, current_user())]))


@route("/exports", "POST", summary="Ask for a background export", ok=out.ExportJob, body=bodies.ExportAsk,
       errors=(403, 404), status=202, ok_description="Accepted: the job is queued",
       description="Casebooks (zip of sealed PDFs), ODM snapshot or transactional, datasets, or the site archive "
                   "of your sites. Poll GET /exports/{job_id}; the request is audited before any data is read.")
def ask_export():
    data = inputs.body(bodies.ExportAsk)
    user = current_user()
    job = unit_of_work(db.session, lambda: services.submit(
        db.session, _background(scope.request_for(db.session, user, data.kind, data.site))))
    return reply(job_model(job), 202)


def _background(request):
    from ecrf.errors import Invalid

    if not kinds()[request.kind].background:
        raise Invalid({"kind": f"{request.kind} is made on the spot: GET its file directly."})
    return request


@route("/exports/<int:job_id>", "GET", summary="One of your background exports", ok=out.ExportJob, errors=(404,))
def export_job(job_id: int):
    return reply(job_model(services.get(db.session, job_id, current_user())))


@route("/exports/<int:job_id>/file", "GET", summary="The file of a finished export", media_types=FILES,
       errors=(404, 409), description="409 while the job is not done; 404 once expired. The download is audited.")
def export_file(job_id: int):
    user = current_user()
    job = services.get(db.session, job_id, user)
    path, filename, media_type = unit_of_work(db.session, lambda: services.take_file(db.session, job, user))
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=filename, max_age=0)


def _deliver(kind_name: str, subject_key: str | None = None) -> Response:
    made = inline.produce(db.session, scope.request_for(db.session, current_user(), kind_name,
                                                        subject_key=subject_key), Run(identity=_identity()))
    return Response(made.data, mimetype=made.media_type, headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"', "X-Content-SHA256": made.sha256,
        "Cache-Control": "no-store"})


@route("/subjects/<subject>/casebook.pdf", "GET", summary="The subject's casebook as a sealed PDF",
       media_types=("application/pdf",), errors=(404,),
       description="Values as your role may see them; the export is audited (who, when, the file's SHA-256).")
def casebook_pdf(subject: str):
    return _deliver("casebook", find_subject(subject).key)


@route("/crf/blank.pdf", "GET", summary="The blank CRF (or the annotated CRF) as a PDF", query=("annotated",),
       media_types=("application/pdf",), errors=(400,))
def blank_crf_pdf():
    annotated = inputs.bool_arg("annotated", False)
    return _deliver("annotated_crf" if annotated else "blank_crf")
