"""ODM Transactional (``Archival="Yes"``) ``ClinicalData``: for each subject, every change in time order, read
from the audit trail in one streamed statement.

What the trail records (ecrf.audit.trail) and how it is written:

* the subject's creation (``subject``/``create``): SubjectData ``Insert``;
* every item value change (``item_data`` create/update/delete, one record per value, old -> new; an explicit
  "no value" answer as ``[NOT_DONE] reason``, ecrf.audit.trail.item_state): ItemData ``Insert`` (first value, or
  a value again after it was cleared), ``Update``, or ``Remove`` (cleared, deleted), each with its AuditRecord:
  who, the subject's site, when (UTC, with offset), the reason for change, and the record's sequence number;
* every signing (``signature``/``create``): a Signature on the SubjectData, StudyEventData or FormData it signs.

The containers of a change are written ``Upsert``: created if the reader does not have them yet. Consecutive
changes of one form by one user at one moment (one save) share their containers. Memory holds one save.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import groupby

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ecrf.audit.models import AuditEvent
from ecrf.auth.models import Site, User
from ecrf.casebook.audit_trail import reason_for
from ecrf.exports import scope
from ecrf.exports.kinds import Request, Run
from ecrf.exports.odm_clinical import (
    SUBJECT_LEVEL,
    Layout,
    audit_record,
    count,
    item_data,
    signature,
    signature_place,
    subject_ids,
)
from ecrf.exports.odm_xml import location_oid, piece, sub, timestamp
from ecrf.signatures.models import Signature
from ecrf.study import codec, masking
from ecrf.study.types import Item
from ecrf.subjects.models import Subject

UPSERT = "Upsert"
_CHANGES = or_(and_(AuditEvent.entity == "item_data", AuditEvent.item_oid.is_not(None)),
               and_(AuditEvent.entity.in_(("subject", "signature")), AuditEvent.action == "create"))
_COLUMNS = (AuditEvent.seq, AuditEvent.ts, AuditEvent.username, AuditEvent.role, AuditEvent.action,
            AuditEvent.entity, AuditEvent.entity_key, AuditEvent.subject_key, AuditEvent.event_oid,
            AuditEvent.form_oid, AuditEvent.item_oid, AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason)
# the tail of an item's key (ecrf.study.locator): .../SE.D1[1]/F.VS[2]/I.VS.HR
_ITEM_PLACE = re.compile(r"/([^/\[\]]+)\[(\d+)\]/([^/\[\]]+)\[(\d+)\]/([^/]+)$")


def _trail(request: Request, *columns):
    """The request's subjects joined to their audit records of the changes written here."""
    return (scope.subjects_select(request).with_only_columns(*columns)
            .join(AuditEvent, AuditEvent.subject_key == Subject.key).where(_CHANGES))


def referenced(session: Session, request: Request) -> tuple[set[str], set[str], dict[int, str]]:
    """(usernames, signature meanings, signer id -> username) the file refers to, before any data is written."""
    actors = set(session.scalars(_trail(request, AuditEvent.username).order_by(None).distinct()))
    signed = Signature.subject_id.in_(subject_ids(request))
    signers = {uid: name for uid, name in session.execute(select(User.id, User.username).where(
        User.id.in_(select(Signature.signer_id).where(signed))))}
    meanings = set(session.scalars(select(Signature.meaning).where(signed).distinct()))
    return actors | set(signers.values()), meanings, signers


def _place(row) -> tuple[str, int, str, int] | None:
    """(event, event repeat, form, form repeat) of an item record, read from its key; None if it does not match
    the record's own columns (then it is not an item of a form this file can place)."""
    found = _ITEM_PLACE.search(row.entity_key or "")
    if not found or (found[1], found[3], found[5]) != (row.event_oid, row.form_oid, row.item_oid):
        return None
    return found[1], int(found[2]), found[3], int(found[4])


def _state(item: Item, stored: str | None) -> tuple[str | None, tuple[str, str] | None] | None:
    """An item record's old or new state: (value, None), (None, (missing code, reason)), or None (no value)."""
    if stored is None:
        return None
    if item.missing_allowed and (flag := codec.decode_missing(stored)):
        return None, flag
    return stored, None


class _Writer:
    def __init__(self, xf, layout: Layout, signers: dict[int, str]):
        self.xf, self.layout, self.signers = xf, layout, signers
        self._last_reason: tuple = (None, None)
        self._last_stamp: tuple = (None, None)

    def subject_created(self, row) -> None:
        subject = piece("SubjectData", SubjectKey=row.subject_key, TransactionType="Insert")
        audit_record(subject, **self._audit(row))
        sub(subject, "SiteRef", LocationOID=location_oid(row.site))
        self.xf.write(subject)

    def signed(self, row) -> None:
        data = json.loads(row.new_value)
        place = signature_place(data["scope"], data.get("event_oid"), data.get("event_repeat"), data.get("form_oid"),
                                data.get("form_repeat"))
        if not self._placeable(place):
            return
        subject = piece("SubjectData", SubjectKey=row.subject_key, TransactionType=UPSERT)
        signer = {"username": self.signers.get(data["signer_id"], row.username), "site_code": row.site,
                  "meaning": data["meaning"], "when": datetime.fromisoformat(data["signed_at"])}
        if place == SUBJECT_LEVEL:
            signature(subject, **signer)  # before the SiteRef, as ODM orders them
        sub(subject, "SiteRef", LocationOID=location_oid(row.site))
        if place != SUBJECT_LEVEL:
            holder = sub(subject, "StudyEventData", StudyEventOID=place[1], StudyEventRepeatKey=str(place[2]),
                         TransactionType=UPSERT)
            if place[0] == "form":
                holder = sub(holder, "FormData", FormOID=place[3], FormRepeatKey=str(place[4]),
                             TransactionType=UPSERT)
            signature(holder, **signer)
        self.xf.write(subject)

    def _placeable(self, place: tuple) -> bool:
        if place == SUBJECT_LEVEL:
            return True
        if place[0] == "visit":
            return place[1] in self.layout.event_rank
        return self.layout.knows(place[1], place[3])

    def save_of(self, row) -> tuple:
        """What groups consecutive records: one save of one form (the form's place, the moment, the user);
        subject creations and signatures stand alone; None for a record this file cannot place (skipped): a value
        row created empty (no value yet), or an item the definition does not place on that form."""
        if row.entity != "item_data":
            return row.entity, row.seq, None
        place = None if row.action == "create" and row.new_value is None else _place(row)
        if place is None or not self.layout.knows(place[0], place[2], row.item_oid):
            return None, row.seq, None
        return place, row.ts, row.username

    def changed(self, place: tuple[str, int, str, int], rows: list) -> None:
        """One save: the changed items of one form, in the CRF's order, with their audit records."""
        event_oid, event_repeat, form_oid, form_repeat = place
        layout, first = self.layout, rows[0]
        subject = piece("SubjectData", SubjectKey=first.subject_key, TransactionType=UPSERT)
        sub(subject, "SiteRef", LocationOID=location_oid(first.site))
        event = sub(subject, "StudyEventData", StudyEventOID=event_oid, StudyEventRepeatKey=str(event_repeat),
                    TransactionType=UPSERT)
        form = sub(event, "FormData", FormOID=form_oid, FormRepeatKey=str(form_repeat), TransactionType=UPSERT)
        for group_oid, members in groupby(sorted(rows, key=lambda r: layout.item_rank[r.item_oid]),
                                          key=lambda r: layout.group_of[r.item_oid]):
            group = sub(form, "ItemGroupData", ItemGroupOID=group_oid, TransactionType=UPSERT)
            for row in members:
                self._item(group, row)
        self.xf.write(subject)

    def _item(self, group, row) -> None:
        item = self.layout.study.items[row.item_oid]
        old, new = _state(item, row.old_value), _state(item, row.new_value)
        if row.action == "delete" or new is None:
            transaction, value, missing = "Remove", None, None
        else:
            transaction = "Insert" if row.action == "create" or old is None else "Update"
            value, flag = new
            missing = (flag[0], self.layout.reason(flag[1])) if flag else None
        item_data(group, item.oid, self.layout.value(item, value), missing, transaction=transaction,
                  audit=self._audit(row))

    def _audit(self, row) -> dict:
        if row.ts != self._last_stamp[0]:
            self._last_stamp = (row.ts, timestamp(row.ts))
        return {"username": row.username, "site_code": row.site, "when": self._last_stamp[1],
                "reason": self._reason(row), "source": str(row.seq), "role": row.role}

    def _reason(self, row) -> str | None:
        """The reason for change in words as the role may read it; a save gives one reason to all its values, so
        the words last found are kept while the reason (and whether the role sees the item reduced) stays."""
        if row.reason is None:
            return None
        item = self.layout.study.items.get(row.item_oid)
        key = (row.reason, item is not None and masking.reduces(item, self.layout.role))  # what reason_for reads
        if key != self._last_reason[0]:
            self._last_reason = (key, reason_for(row, self.layout.role))
        return self._last_reason[1]


def write_changes(xf, session: Session, request: Request, run: Run, layout: Layout, signers: dict[int, str]) -> None:
    total, done = count(session, request), 0
    writer = _Writer(xf, layout, signers)
    rows = session.execute(_trail(request, Site.code.label("site"), *_COLUMNS).order_by(AuditEvent.seq)
                           .execution_options(yield_per=2000))
    for _, records in groupby(rows, key=lambda r: r.subject_key):
        for (place, _moment, _user), saved in groupby(records, key=writer.save_of):
            if place == "subject":
                for row in saved:
                    writer.subject_created(row)
            elif place == "signature":
                for row in saved:
                    writer.signed(row)
            elif place is not None:
                writer.changed(place, list(saved))
        done += 1
        run.progress(done, total)
    if done < total:
        run.progress(total, total)
