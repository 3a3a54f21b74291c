"""Analysis datasets in one zip: a CSV per form (``<FORM_OID>.csv``, a row per subject-event-form-repeat, a column
per item: ecrf.exports.dataset_columns), the data dictionary (DICTIONARY.csv), CDISC Dataset-JSON 1.1 of the same
rows (``<FORM_OID>.json``) and README.txt, the manifest (what, who, when, the masking applied, the SHA-256 of each
file).

Values are the stored codes, never labels: dot decimals, ISO 8601 dates, date-times in UTC, booleans
``true``/``false``, whatever the reader's locale. They are masked for the requesting role (ecrf.study.masking).
Every CSV is written by ecrf.infra.csvsafe, so a text a spreadsheet would run as a formula is neutralised there
(Dataset-JSON carries the value as stored: it is read by programs, not by spreadsheets).

Streamed: subjects are read in batches (two statements per batch: the forms, the item values), rows go to a
temporary file per form, and each form's files are then copied into the zip; memory does not grow with the study.
"""
from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timezone
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf import __version__
from ecrf.audit import chain
from ecrf.audit.models import AuditEvent
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.exports import dataset_columns as dc
from ecrf.exports import scope
from ecrf.exports.files import Hashing
from ecrf.exports.fingerprint import definition_sha256
from ecrf.exports.kinds import Request, Run
from ecrf.infra import csvsafe
from ecrf.study import masking
from ecrf.study.codec import encode_datetime
from ecrf.study.definition import METADATA_VERSION, PROTOCOL_NAME, STUDY_NAME, STUDY_OID, Study
from ecrf.study.definition import load as load_study
from ecrf.study.types import Form
from ecrf.subjects.models import Subject

BATCH = 25  # subjects read per pair of statements (a batch of full casebooks holds some 80,000 values)
DICTIONARY, README = "DICTIONARY.csv", "README.txt"
DATASET_JSON_VERSION = "1.1.0"


class _Spool:
    """One form's rows on their way into the zip: CSV cells and Dataset-JSON row arrays, each in a temporary file."""

    def __init__(self, header: list[str]):
        self.csv_file, self.json_file, self.rows = tempfile.TemporaryFile(), tempfile.TemporaryFile(), 0
        self._text = io.TextIOWrapper(self.csv_file, encoding="utf-8", newline="")
        self._safe = csvsafe.writer(self._text)
        self._safe.writerow(header)

    def add(self, cells: list, typed: list) -> None:
        self._safe.writerow(cells)
        self.json_file.write((b"," if self.rows else b"") + json.dumps(
            typed, ensure_ascii=False, separators=(",", ":")).encode())
        self.rows += 1

    def finish(self) -> None:
        self._text.flush()

    def close(self) -> None:
        self._text.close()
        self.json_file.close()


@dataclass
class _Zip:
    """The zip being written, with the SHA-256 and size of each file (of its content, before compression)."""

    archive: zipfile.ZipFile
    when: tuple
    files: list[tuple[str, str, int]] = field(default_factory=list)

    def add(self, name: str, parts: Iterable[bytes | BinaryIO], size: int) -> None:
        info = zipfile.ZipInfo(name, date_time=self.when)
        info.compress_type, info.file_size = zipfile.ZIP_DEFLATED, size  # the size tells zipfile whether zip64
        with self.archive.open(info, "w") as entry:
            hashing = Hashing(entry)
            for part in parts:
                if isinstance(part, bytes):
                    hashing.write(part)
                else:
                    part.seek(0)
                    shutil.copyfileobj(part, hashing)
        self.files.append((name, hashing.sha256, hashing.size))


def _size(parts: Iterable[bytes | BinaryIO]) -> int:
    return sum(len(p) if isinstance(p, bytes) else p.seek(0, io.SEEK_END) for p in parts)


def _batches(subjects: list[Subject]) -> Iterable[list[Subject]]:
    for start in range(0, len(subjects), BATCH):
        yield subjects[start:start + BATCH]


def _stored(session: Session, subject_ids: list[int]):
    """The batch's stored forms (subject id, event OID, event repeat, form id, form OID, form repeat, status) and
    their item values by form id: item OID -> (value, missing code, missing reason). Plain rows, no ORM objects:
    a batch holds thousands of values."""
    connection = session.connection()
    forms = connection.execute(
        select(StudyEventData.subject_id, StudyEventData.event_oid, StudyEventData.repeat_key, FormData.id,
               FormData.form_oid, FormData.repeat_key, FormData.status)
        .join(FormData, FormData.event_id == StudyEventData.id)
        .where(StudyEventData.subject_id.in_(subject_ids))).all()
    items: dict[int, dict] = {}
    for form_id, oid, value, code, reason in connection.execute(
            select(ItemData.form_id, ItemData.item_oid, ItemData.value, ItemData.missing_code, ItemData.missing_reason)
            .join(FormData, ItemData.form_id == FormData.id)
            .join(StudyEventData, FormData.event_id == StudyEventData.id)
            .where(StudyEventData.subject_id.in_(subject_ids))):
        items.setdefault(form_id, {})[oid] = (value, code, reason)
    return forms, items


_NOTHING = (None, None, None)


class _Dataset:
    """One form's dataset: its columns, how a stored form becomes a row of them, and the rows spooled so far."""

    def __init__(self, study: Study, form: Form, role: str):
        self.form, self.role, self.full = form, role, masking.sees_full(role)
        self.columns = dc.columns(study, form, role)
        self.typed = [c.typed for c in self.columns]
        #: (item, whether it has the not-done columns, whether the role sees it reduced)
        self.items = [(i, bool(i.missing_allowed), masking.reduces(i, role)) for i in form.items]
        self.spool: _Spool | None = None

    def add(self, subject: Subject, stored_form, values: dict) -> None:
        _, event_oid, event_repeat, _, _, form_repeat, status = stored_form
        cells = [STUDY_OID, subject.site.code, subject.key, subject.subject_no, event_oid, str(event_repeat),
                 str(form_repeat), status]
        for item, not_done, reduced in self.items:
            value, code, reason = values.get(item.oid, _NOTHING)
            cells.append(masking.masked(item, value, self.role) if reduced else value)
            if not_done:
                cells += [code, reason if self.full or reason is None else masking.WITHHELD]
        if self.spool is None:
            self.spool = _Spool([c.name for c in self.columns])
        self.spool.add(cells, [typed(v) for typed, v in zip(self.typed, cells)])


def write(session: Session, request: Request, run: Run, out: BinaryIO) -> None:
    study = load_study()
    subjects = scope.subjects(session, request)
    sets = {f.oid: _Dataset(study, f, request.role) for f in study.forms}
    event_order = {e.oid: n for n, e in enumerate(study.events)}
    try:
        run.progress(0, len(subjects))
        done = 0
        for batch in _batches(subjects):
            forms, items = _stored(session, [s.id for s in batch])
            position = {s.id: n for n, s in enumerate(batch)}
            forms.sort(key=lambda f: (position[f[0]], event_order.get(f[1], len(event_order)), f[1], f[2], f[5]))
            at = 0
            for subject in batch:
                while at < len(forms) and forms[at][0] == subject.id:
                    stored, at = forms[at], at + 1
                    if dataset := sets.get(stored[4]):  # a form the definition no longer declares has no columns
                        dataset.add(subject, stored, items.get(stored[3], {}))
                done += 1
                run.progress(done, len(subjects))
        _zip(session, request, run, out, study, subjects, sets)
    finally:
        for dataset in sets.values():
            if dataset.spool:
                dataset.spool.close()


def _zip(session, request, run, out, study, subjects, sets: dict[str, _Dataset]) -> None:
    when = run.now.astimezone(timezone.utc).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        files = _Zip(archive, when)
        dictionary = csvsafe.write([dc.DICTIONARY_HEADER, *(dc.dictionary_row(oid, c) for oid, d in sets.items()
                                                            for c in d.columns)]).encode()
        files.add(DICTIONARY, [dictionary], len(dictionary))
        modified = session.scalar(select(func.max(AuditEvent.ts)))
        for oid, dataset in sets.items():
            if dataset.spool is None:  # no rows: the header alone, and a Dataset-JSON with no rows
                dataset.spool = _Spool([c.name for c in dataset.columns])
            dataset.spool.finish()
            csv_file = dataset.spool.csv_file
            files.add(f"{oid}.csv", [csv_file], _size([csv_file]))
            head, tail = _dataset_json(run, dataset.form, dataset.columns, dataset.spool.rows, modified)
            parts = [head, dataset.spool.json_file, tail]
            files.add(f"{oid}.json", parts, _size(parts))
        readme = _readme(session, request, run, study, subjects, files.files).encode()
        files.add(README, [readme], len(readme))


def _dataset_json(run: Run, form: Form, columns: list[dc.Column], records: int, modified) -> tuple[bytes, bytes]:
    """The Dataset-JSON 1.1 document of ``form`` around its rows: (everything before the rows, the closing)."""
    meta = {
        "datasetJSONCreationDateTime": encode_datetime(run.now),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{STUDY_OID}.DATASETS.{run.now.strftime('%Y%m%dT%H%M%S')}.{form.oid}",
        **({"dbLastModifiedDateTime": encode_datetime(modified)} if modified else {}),
        "originator": PROTOCOL_NAME,
        "sourceSystem": {"name": "ecrf", "version": __version__},
        "studyOID": STUDY_OID,
        "metaDataVersionOID": METADATA_VERSION,
        "itemGroupOID": f"IG.{form.oid}",
        "records": records,
        "name": form.oid,
        "label": form.label,
        "columns": [c.metadata() for c in columns],
    }
    text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    return (text[:-1] + ',"rows":[').encode(), b"]}"


def _masking_words(study: Study, role: str) -> list[str]:
    if masking.sees_full(role):
        return [f"Values as stored: the role {role} sees every value in full."]
    if not masking.sees_clinical(role):
        return [f"The role {role} sees no clinical value: every value is {masking.WITHHELD}."]
    reduced = [i for i in study.items.values() if masking.reduces(i, role)]
    return [f"Identifying items are reduced for the role {role}; reasons for \"not done\" are {masking.WITHHELD}:",
            *(f"  {i.oid} ({i.label}): "
              f"{'the year only' if i.identifying == masking.YEAR else masking.WITHHELD}" for i in reduced)]


def _readme(session, request, run, study, subjects, files) -> str:
    seq, head = chain.head(session.connection())
    sites = ", ".join(s.code for s in scope.sites(session, request))
    lines = [
        f"Analysis datasets of {STUDY_NAME} ({PROTOCOL_NAME}, study {STUDY_OID}, metadata {METADATA_VERSION})",
        "",
        f"Exported at:    {encode_datetime(run.now)} (UTC)",
        f"Exported by:    {request.full_name} ({request.username}), role {request.role}",
        f"Sites:          {sites or '(none)'}; {len(subjects)} subjects",
        f"Audit trail:    head record {seq}, hash {head}",
        f"Definition:     SHA-256 {definition_sha256(study)}",
        "",
        "Contents: a CSV per form (<FORM OID>.csv), a row per subject, event, event repeat and form repeat; the",
        f"same rows as CDISC Dataset-JSON {DATASET_JSON_VERSION} (<FORM OID>.json); {DICTIONARY} describes every "
        "column",
        "(label, type, units, code list and its codes, SDTM variable and domain, masking).",
        "Values are stored codes, not labels: dot decimals, ISO 8601 dates, date-times in UTC, booleans true/false.",
        "An item answered \"not done\" or \"unknown\" has its code in <OID>_ND and the reason in <OID>_NDREAS.",
        "CSV cells starting with = + - @ or a tab or carriage return are prefixed with ' so that a spreadsheet",
        "shows them as text (formula injection); the Dataset-JSON files carry the values unaltered.",
        "",
        "Masking:",
        *_masking_words(study, request.role),
        "",
        "Files (SHA-256 of the uncompressed content, bytes):",
        *(f"  {sha}  {size:>10}  {name}" for name, sha, size in files),
        "",
    ]
    return "\n".join(lines)
