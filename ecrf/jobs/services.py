"""(being written by the jobs slice) Interface the faces code against:

* ``submit(session, request: ecrf.exports.kinds.Request) -> ExportJob``: a queued job row, its request audited,
  enqueued on huey once the transaction commits.
* ``get(session, job_id, user) -> ExportJob``: the user's own job (NotFound otherwise).
* ``mine(session, user) -> list[ExportJob]``: newest first.
* ``take_file(session, job, user) -> (path, filename, media_type)``: a finished job's file; the download is audited.
* ``ExportJob`` fields: id, kind, state (queued, running, done, failed, expired), done, total, filename, sha256,
  size, error, requested_at, finished_at, expires_at, downloaded_at.
"""
