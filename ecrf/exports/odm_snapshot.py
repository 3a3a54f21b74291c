"""ODM Snapshot ``ClinicalData``: every subject of the request with its current values, subject by subject.

Subjects are streamed; each is read in two statements (its stored events, forms and values; its holding
signatures) and written before the next is read, so memory holds one subject whatever the study's size."""
from __future__ import annotations

from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.models import Site, User
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.exports import scope
from ecrf.exports.kinds import Request, Run
from ecrf.exports.odm_clinical import SUBJECT_LEVEL, Layout, count, item_data, shown_signatures, signature, subject_ids
from ecrf.exports.odm_xml import leaf, location_oid, piece, q, sub
from ecrf.signatures.models import Signature
from ecrf.subjects.models import Subject


def _holding(where):
    return (select(Signature.subject_id, Signature.scope, Signature.event_oid, Signature.event_repeat,
                   Signature.form_oid, Signature.form_repeat, Signature.signed_at, Signature.meaning, User.username)
            .join(User, User.id == Signature.signer_id).where(Signature.broken_at.is_(None), where)
            .order_by(Signature.subject_id, Signature.signed_at, Signature.id))


def referenced(session: Session, request: Request) -> tuple[set[str], set[str]]:
    """(signers, meanings) of the signatures the snapshot will show (AdminData precedes the data it serves)."""
    users, meanings = set(), set()
    rows = session.execute(_holding(Signature.subject_id.in_(subject_ids(request)))
                           .execution_options(yield_per=500))
    for _, signatures in groupby(rows, key=lambda r: r.subject_id):
        for s in shown_signatures(signatures).values():
            users.add(s.username)
            meanings.add(s.meaning)
    return users, meanings


def _stored(session: Session, subject_id: int) -> dict:
    """{(event, repeat): {(form, repeat): [item rows with a value or a "no value" answer]}}"""
    tree: dict = {}
    for r in session.execute(
            select(StudyEventData.event_oid, StudyEventData.repeat_key.label("event_repeat"), FormData.form_oid,
                   FormData.repeat_key.label("form_repeat"), ItemData.item_oid, ItemData.value, ItemData.missing_code,
                   ItemData.missing_reason)
            .select_from(StudyEventData).outerjoin(FormData, FormData.event_id == StudyEventData.id)
            .outerjoin(ItemData, ItemData.form_id == FormData.id).where(StudyEventData.subject_id == subject_id)):
        forms = tree.setdefault((r.event_oid, r.event_repeat), {})
        if r.form_oid is None:
            continue
        items = forms.setdefault((r.form_oid, r.form_repeat), [])
        if r.item_oid is not None and (r.value is not None or r.missing_code):
            items.append(r)
    return tree


def write_subjects(xf, session: Session, request: Request, run: Run, layout: Layout) -> None:
    total = count(session, request)
    subjects = session.execute(scope.subjects_select(request).with_only_columns(Subject.id, Subject.key, Site.code)
                               .execution_options(yield_per=100))
    for done, (subject_id, key, site_code) in enumerate(subjects, 1):
        _subject(xf, session, layout, subject_id, key, site_code)
        run.progress(done, total)


def _subject(xf, session: Session, layout: Layout, subject_id: int, key: str, site_code: str) -> None:
    """One SubjectData; each form is built as a piece and written whole."""
    tree = _stored(session, subject_id)
    signs = shown_signatures(session.execute(_holding(Signature.subject_id == subject_id)))

    def signed(place, parent=None):
        if (s := signs.get(place)) is not None:
            return signature(parent, username=s.username, site_code=site_code, meaning=s.meaning, when=s.signed_at)
        return None

    with xf.element(q("SubjectData"), SubjectKey=key):
        if (alone := signed(SUBJECT_LEVEL)) is not None:
            xf.write(alone)
        leaf(xf, "SiteRef", LocationOID=location_oid(site_code))
        events = sorted((k for k in tree if k[0] in layout.event_rank), key=lambda k: (layout.event_rank[k[0]], k[1]))
        for event_oid, event_repeat in events:
            forms = tree[(event_oid, event_repeat)]
            with xf.element(q("StudyEventData"), StudyEventOID=event_oid, StudyEventRepeatKey=str(event_repeat)):
                if (alone := signed(("visit", event_oid, event_repeat))) is not None:
                    xf.write(alone)
                for form_oid, form_repeat in sorted((k for k in forms if layout.knows(event_oid, k[0])),
                                                    key=lambda k: (layout.form_rank[(event_oid, k[0])], k[1])):
                    form = piece("FormData", FormOID=form_oid, FormRepeatKey=str(form_repeat))
                    signed(("form", event_oid, event_repeat, form_oid, form_repeat), form)
                    _items(form, layout, event_oid, form_oid, forms[(form_oid, form_repeat)])
                    xf.write(form)


def _items(form, layout: Layout, event_oid: str, form_oid: str, rows) -> None:
    known = sorted((r for r in rows if layout.knows(event_oid, form_oid, r.item_oid)),
                   key=lambda r: layout.item_rank[r.item_oid])
    for group_oid, members in groupby(known, key=lambda r: layout.group_of[r.item_oid]):
        group = sub(form, "ItemGroupData", ItemGroupOID=group_oid)
        for r in members:
            item = layout.study.items[r.item_oid]
            missing = (r.missing_code, layout.reason(r.missing_reason)) if r.missing_code else None
            item_data(group, item.oid, layout.value(item, r.value), missing)
