"""Everything that leaves the system as a file: sealed casebook PDFs, CDISC ODM, analysis datasets, the blank and
annotated CRF, the investigator's site archive. Each kind is a plain function writing to a binary stream
(ecrf.exports.kinds); the faces and the job queue (ecrf.jobs) only choose which, for whom, and where it goes."""
