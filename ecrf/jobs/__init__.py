"""Work outside the request: exports run as jobs on huey (SQLite storage by default, Redis when ECRF_REDIS_URL is
set), each job also a row (ecrf.jobs.models) so it survives a worker's restart and its file is kept until it is
downloaded or expires."""
