"""CDISC ODM 1.3.2: both files validate against the official XSD (shipped by odmlib), refer only to what they
define, carry the database's current values (snapshot) and every change with its audit record (transactional,
which replays to the snapshot), follow the reader's masking and sites, and come out of the command line."""
from __future__ import annotations

import hashlib
import io
from contextlib import contextmanager
from copy import deepcopy
from datetime import datetime
from functools import cache

import pytest
from click.testing import CliRunner
from helpers import PASSWORD, make_app, new_subject, save, vs_values
from lxml import etree
from odmlib.schema_manager import get_schema_path
from sqlalchemy import event, select

from ecrf.audit.models import AuditEvent
from ecrf.audit.trail import item_state
from ecrf.auth.models import Site, User
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.exports import odm
from ecrf.exports.kinds import Request, Run
from ecrf.exports.odm_xml import NS, signature_oid, user_oid
from ecrf.signatures.models import Signature
from ecrf.study import masking
from ecrf.study.definition import load as load_study
from ecrf.study.types import DataType
from ecrf.subjects.models import Subject

N = {"o": NS}
DEMO_PASSWORD = "demo password 2026"
SITE2_KEY: list[str] = []  # the site-02 subject's key, set by the seeded database
#: free text with what XML must escape, a line break and a tab (kept in an attribute value), and a non-BMP character
MARKUP = 'Rash "malar" <2019> & photosensitivity\nsecond line\tafter a tab \U0001F600'


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(get_schema_path("odm", "1.3.2")))


def valid(doc) -> bool:
    return schema().validate(doc)


def assert_valid(data: bytes) -> etree._Element:
    doc = etree.fromstring(data)
    assert valid(doc), schema().error_log
    return doc


# -- a seeded study, shared by the reading tests (writers only read) ----------------------------------------------

def _site2_story(session) -> str:
    """A subject at site 02: vital signs entered, the heart rate corrected with a reason, the respiratory rate
    cleared (a removal), the SpO2 answered "not done"."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.services import create_site, create_user

    set_actor(session, Actor(None, "test-setup", "system"))
    create_site(session, "02", "Site two", "Europe/Berlin")
    create_user(session, "coordinator2", "Other Coordinator", "coordinator", ["02"], PASSWORD)
    session.commit()
    coordinator = session.scalar(select(User).where(User.username == "coordinator2"))
    set_actor(session, Actor.of(coordinator))
    subject = new_subject(session, "02")
    save(session, subject, "F.VS", vs_values())
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION",
         reason_note="typed 72 for 80")
    values = vs_values(**{"I.VS.HR": "80"})
    del values["I.VS.RESP"], values["I.VS.SPO2"]
    save(session, subject, "F.VS", values, reason_code="TRANSCRIPTION", reason_note="not measured",
         missing={"I.VS.SPO2": {"code": "NOT_DONE", "reason": "oximeter broken"}})
    save(session, subject, "F.MH", {"I.MH.TERM": MARKUP, "I.MH.ONGO": "Y"})
    return subject.key


@pytest.fixture(scope="module")
def seeded(databases, tmp_path_factory):
    from ecrf.demo import seed
    from ecrf.infra.extensions import db

    url = databases.fresh_url()
    app = make_app(url, tmp_path_factory.mktemp("odm") / "instance")
    with app.app_context():
        seed(DEMO_PASSWORD)
        db.session.commit()
        SITE2_KEY[:] = [_site2_story(db.session)]
        db.session.remove()
        db.engine.dispose()
    yield url
    databases.drop(url)


@pytest.fixture
def reading(seeded, tmp_path):
    from ecrf.infra.extensions import db

    app = make_app(seeded, tmp_path / "instance")
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def request_for(session, role: str = "data_manager", *codes: str) -> Request:
    stmt = select(Site.id) if not codes else select(Site.id).where(Site.code.in_(codes))
    return Request("odm", role, f"{role.title()} Person", role, frozenset(session.scalars(stmt)))


def export(session, writer, role: str = "data_manager", *codes: str, run: Run | None = None) -> bytes:
    out = io.BytesIO()
    writer(session, request_for(session, role, *codes), run or Run(), out)
    return out.getvalue()


def db_values(session, role: str = "data_manager", *codes: str) -> dict:
    """The current values as the database holds them, keyed as read_values keys them, masked for ``role``."""
    items = load_study().items
    stmt = (select(Subject.key, StudyEventData.event_oid, StudyEventData.repeat_key, FormData.form_oid,
                   FormData.repeat_key, ItemData.item_oid, ItemData.value, ItemData.missing_code,
                   ItemData.missing_reason)
            .join(StudyEventData, StudyEventData.subject_id == Subject.id)
            .join(FormData, FormData.event_id == StudyEventData.id).join(ItemData, ItemData.form_id == FormData.id)
            .join(Site, Site.id == Subject.site_id))
    if codes:
        stmt = stmt.where(Site.code.in_(codes))
    out = {}
    for key, ev, er, fo, fr, oid, value, code, reason in session.execute(stmt):
        if value is None and not code:
            continue
        reason = reason if masking.sees_full(role) or reason is None else masking.WITHHELD
        out[(key, ev, er, fo, fr, oid)] = item_state(masking.masked(items[oid], value, role), code, reason)
    return out


# -- the two files ----------------------------------------------------------------------------------------------

def test_snapshot_is_valid_odm_holding_every_current_value(reading):
    data = export(reading, odm.write_snapshot)
    doc = assert_valid(data)
    assert doc.tag == f"{{{NS}}}ODM"
    assert (doc.get("FileType"), doc.get("ODMVersion"), doc.get("SourceSystem"), doc.get("Granularity")) == \
        ("Snapshot", "1.3.2", "ecrf", "All")
    assert doc.get("Archival") is None
    created = datetime.fromisoformat(doc.get("CreationDateTime"))
    assert created.utcoffset() is not None and doc.get("CreationDateTime").endswith("+00:00")
    assert doc.get("FileOID")
    expected = db_values(reading)
    assert len(expected) > 300  # the demo and the site-02 story
    assert MARKUP in expected.values()
    assert odm.read_values(data) == expected
    subjects = {s.get("SubjectKey") for s in doc.iterfind(".//o:SubjectData", namespaces=N)}
    assert subjects == set(reading.scalars(select(Subject.key)))
    # a subject with nothing entered is there too, with its site
    empty = doc.find(".//o:SubjectData[@SubjectKey='01-S007']", N)
    assert empty.find("o:SiteRef", N).get("LocationOID") == "LOC.01"


def test_transactional_is_archival_every_change_audited_and_replays_to_the_snapshot(reading):
    data = export(reading, odm.write_transactional)
    doc = assert_valid(data)
    assert (doc.get("FileType"), doc.get("Archival")) == ("Transactional", "Yes")
    assert odm.read_values(data) == odm.read_values(export(reading, odm.write_snapshot)) == db_values(reading)

    items = doc.findall(".//o:ItemData", N)
    assert {i.get("TransactionType") for i in items} == {"Insert", "Update", "Remove"}
    for item in items:
        record = item.find("o:AuditRecord", N)
        assert record is not None, etree.tostring(item)
        assert record.find("o:UserRef", N).get("UserOID").startswith("USR.")
        assert record.find("o:LocationRef", N).get("LocationOID").startswith("LOC.")
        assert record.findtext("o:DateTimeStamp", namespaces=N).endswith("+00:00")
    # one ItemData per item record of the trail (a row created empty records no value), in the trail's order
    seqs = [int(i.findtext("o:AuditRecord/o:SourceID", namespaces=N)) for i in items]
    trail = list(reading.scalars(select(AuditEvent.seq).where(
        AuditEvent.entity == "item_data", ~((AuditEvent.action == "create") & AuditEvent.new_value.is_(None)))
        .order_by(AuditEvent.seq)))
    assert sorted(seqs) == trail
    by_subject: dict[str, list[datetime]] = {}
    for subject in doc.iterfind(".//o:SubjectData", N):
        by_subject.setdefault(subject.get("SubjectKey"), []).extend(
            datetime.fromisoformat(s) for s in subject.xpath(".//o:DateTimeStamp/text()", namespaces=N))
    for key, order in by_subject.items():
        assert order == sorted(order), key  # each subject's changes in time order (one save: in the CRF's order)
    # every subject's creation is its first transaction
    firsts = {}
    for subject in doc.iterfind(".//o:SubjectData", N):
        firsts.setdefault(subject.get("SubjectKey"), subject.get("TransactionType"))
    assert set(firsts.values()) == {"Insert"}


def _history(doc, key: tuple) -> list[etree._Element]:
    subject, event_oid, event_repeat, form_oid, form_repeat, item_oid = key
    return doc.xpath(
        "//o:SubjectData[@SubjectKey=$s]/o:StudyEventData[@StudyEventOID=$e][@StudyEventRepeatKey=$er]"
        "/o:FormData[@FormOID=$f][@FormRepeatKey=$fr]/o:ItemGroupData/o:ItemData[@ItemOID=$i]", namespaces=N,
        s=subject, e=event_oid, er=str(event_repeat), f=form_oid, fr=str(form_repeat), i=item_oid)


def test_an_update_keeps_the_old_value_before_it_with_its_reason_and_a_removal_is_written(reading):
    doc = assert_valid(export(reading, odm.write_transactional))
    key = SITE2_KEY[0]
    hr = _history(doc, (key, "SE.SCREENING", 1, "F.VS", 1, "I.VS.HR"))
    assert [(h.get("TransactionType"), h.get("Value")) for h in hr] == [("Insert", "72"), ("Update", "80")]
    assert hr[1].findtext("o:AuditRecord/o:ReasonForChange", namespaces=N) == "Transcription error: typed 72 for 80"
    assert hr[1].find("o:AuditRecord/o:UserRef", N).get("UserOID") == user_oid("coordinator2")
    assert hr[1].find("o:AuditRecord/o:LocationRef", N).get("LocationOID") == "LOC.02"
    row = reading.scalar(select(AuditEvent).where(
        AuditEvent.seq == int(hr[1].findtext("o:AuditRecord/o:SourceID", namespaces=N))))
    assert (row.old_value, row.new_value) == ("72", "80")

    resp = _history(doc, (key, "SE.SCREENING", 1, "F.VS", 1, "I.VS.RESP"))
    assert [h.get("TransactionType") for h in resp] == ["Insert", "Remove"]
    assert resp[1].get("Value") is None
    assert resp[1].findtext("o:AuditRecord/o:ReasonForChange", namespaces=N) == "Transcription error: not measured"

    spo2 = _history(doc, (key, "SE.SCREENING", 1, "F.VS", 1, "I.VS.SPO2"))
    assert [h.get("TransactionType") for h in spo2] == ["Insert", "Update"]
    assert spo2[1].get("IsNull") == "Yes" and spo2[1].get("Value") is None
    assert spo2[1].findtext("o:Annotation/o:Flag/o:FlagValue", namespaces=N) == "NOT_DONE"
    assert spo2[1].findtext("o:Annotation/o:Comment", namespaces=N) == "oximeter broken"
    values = odm.read_values(etree.tostring(doc))
    assert values[(key, "SE.SCREENING", 1, "F.VS", 1, "I.VS.SPO2")] == "[NOT_DONE] oximeter broken"
    assert (key, "SE.SCREENING", 1, "F.VS", 1, "I.VS.RESP") not in values


def test_not_done_is_a_null_value_with_its_flag_in_the_snapshot(reading):
    doc = assert_valid(export(reading, odm.write_snapshot))
    spo2, = _history(doc, (SITE2_KEY[0], "SE.SCREENING", 1, "F.VS", 1, "I.VS.SPO2"))
    assert spo2.get("IsNull") == "Yes" and spo2.get("Value") is None and spo2.get("TransactionType") is None
    flag = spo2.find("o:Annotation/o:Flag/o:FlagValue", N)
    assert (flag.text, flag.get("CodeListOID")) == ("NOT_DONE", "CL.ECRF.MISSING")
    assert doc.find(".//o:CodeList[@OID='CL.ECRF.MISSING']/o:CodeListItem[@CodedValue='NOT_DONE']", N) is not None


def test_signatures_are_written_at_the_level_they_sign(reading):
    transactional = assert_valid(export(reading, odm.write_transactional))
    snapshot = assert_valid(export(reading, odm.write_snapshot))
    rows = list(reading.scalars(select(Signature).order_by(Signature.id)))
    assert {r.scope for r in rows} >= {"casebook", "visit", "eligibility"}
    written = transactional.findall(".//o:Signature", N)
    assert len(written) == len(rows)
    definitions = {d.get("OID"): d.findtext("o:Meaning", namespaces=N)
                   for d in transactional.iterfind(".//o:SignatureDef", N)}
    by_place = {(r.subject.key, r.signed_at): r for r in rows}
    for element in written:
        holder = element.getparent()
        key, = holder.xpath("ancestor-or-self::o:SubjectData/@SubjectKey", namespaces=N)
        row = by_place.pop((key, datetime.fromisoformat(element.findtext("o:DateTimeStamp", namespaces=N))))
        expected = {"casebook": "SubjectData", "eligibility": "SubjectData", "visit": "StudyEventData",
                    "form": "FormData"}[row.scope]
        assert etree.QName(holder).localname == expected
        if row.scope == "visit":
            assert (holder.get("StudyEventOID"), holder.get("StudyEventRepeatKey")) == (row.event_oid, "1")
        assert element.find("o:UserRef", N).get("UserOID") == user_oid(reading.get(User, row.signer_id).username)
        assert element.find("o:LocationRef", N).get("LocationOID") == f"LOC.{row.subject.site.code}"
        oid = element.find("o:SignatureRef", N).get("SignatureOID")
        assert oid == signature_oid(row.meaning) and definitions[oid] == row.meaning
    assert not by_place
    # the snapshot shows the signatures that still hold: the demo's day-1 review of 01-S005 was broken by a
    # correction; 01-S006's casebook approval holds, and so does its eligibility confirmation (the casebook's shown)
    assert [r.subject.key for r in rows if not r.valid] == ["01-S005"]
    assert snapshot.xpath("//o:SubjectData[@SubjectKey='01-S005']//o:StudyEventData/o:Signature", namespaces=N) == []
    casebook = next(r for r in rows if r.scope == "casebook")
    assert casebook.valid and casebook.subject.key == "01-S006"
    shown = snapshot.find(".//o:SubjectData[@SubjectKey='01-S006']/o:Signature/o:SignatureRef", N)
    assert shown.get("SignatureOID") == signature_oid(casebook.meaning)
    assert len(snapshot.findall(".//o:Signature", N)) == len(
        {r.subject_id for r in rows if r.valid and r.scope in ("casebook", "eligibility")}) + sum(
        1 for r in rows if r.valid and r.scope in ("visit", "form"))


@pytest.mark.parametrize("writer", [odm.write_snapshot, odm.write_transactional])
def test_every_reference_resolves_to_a_definition_in_the_same_file(reading, writer):
    doc = assert_valid(export(reading, writer))

    def oids(path):
        return set(doc.xpath(path, namespaces=N))

    users, locations = oids("//o:AdminData/o:User/@OID"), oids("//o:AdminData/o:Location/@OID")
    assert oids("//o:ClinicalData//o:UserRef/@UserOID") == users  # every user referenced, and only those
    assert oids("//o:UserRef/@UserOID") <= users
    assert oids("//o:LocationRef/@LocationOID") | oids("//o:SiteRef/@LocationOID") <= locations
    assert oids("//o:SignatureRef/@SignatureOID") == oids("//o:SignatureDef/@OID")
    assert oids("//o:StudyEventData/@StudyEventOID") <= oids("//o:StudyEventDef/@OID")
    assert oids("//o:CodeListRef/@CodeListOID") | oids("//o:FlagValue/@CodeListOID") <= oids("//o:CodeList/@OID")
    assert oids("//o:MeasurementUnitRef/@MeasurementUnitOID") <= oids("//o:MeasurementUnit/@OID")
    assert oids("//o:ItemRef/@MethodOID") == oids("//o:MethodDef/@OID")
    def children(definition: str, ref: str) -> dict[str, set[str]]:
        return {d.get("OID"): set(d.xpath(f"o:{ref}", namespaces=N)) for d in doc.iterfind(f".//o:{definition}", N)}

    refs = children("StudyEventDef", "FormRef/@FormOID")
    groups = children("FormDef", "ItemGroupRef/@ItemGroupOID")
    items = children("ItemGroupDef", "ItemRef/@ItemOID")
    for form in doc.iterfind(".//o:FormData", N):
        assert form.get("FormOID") in refs[form.getparent().get("StudyEventOID")]
        for group in form.iterfind("o:ItemGroupData", N):
            assert group.get("ItemGroupOID") in groups[form.get("FormOID")]
            for item in group.iterfind("o:ItemData", N):
                assert item.get("ItemOID") in items[group.get("ItemGroupOID")]
    assert locations == {"LOC.01", "LOC.02"}
    assert all(loc.find("o:MetaDataVersionRef", N).get("MetaDataVersionOID") == "MDV.1"
               for loc in doc.iterfind(".//o:Location", N))


def test_the_metadata_is_the_study_definition(reading):
    doc = assert_valid(export(reading, odm.write_snapshot))
    study = load_study()

    def one(path, **kw):
        found = doc.xpath(path, namespaces=N, **kw)
        assert len(found) == 1, path
        return found[0]

    assert [r.get("StudyEventOID") for r in doc.iterfind(".//o:Protocol/o:StudyEventRef", N)] == \
        [e.oid for e in study.events]
    for ev in study.events:
        definition = one("//o:StudyEventDef[@OID=$o]", o=ev.oid)
        assert (definition.get("Repeating"), definition.get("Type")) == ("Yes" if ev.repeating else "No", ev.type)
        assert definition.xpath("o:FormRef/@FormOID", namespaces=N) == [r.form_oid for r in ev.forms]
    for form in study.forms:
        assert one("//o:FormDef[@OID=$o]", o=form.oid).get("Repeating") == ("Yes" if form.repeating else "No")
        for group in form.groups:
            definition = one("//o:ItemGroupDef[@OID=$o]", o=group.oid)
            assert definition.get("Domain") == group.domain
            assert definition.xpath("o:ItemRef/@ItemOID", namespaces=N) == [i.oid for i in group.items]
    symbols = {u.get("OID"): u.findtext("o:Symbol/o:TranslatedText", namespaces=N)
               for u in doc.iterfind(".//o:MeasurementUnit", N)}
    assert set(symbols.values()) == {i.units for i in study.items.values() if i.units}
    assert len(symbols) == len(set(symbols.values()))
    for item in study.items.values():
        definition = one("//o:ItemDef[@OID=$o]", o=item.oid)
        kind = item.codelist.data_type if item.data_type is DataType.CODELIST else item.data_type.value
        kind = "partialDate" if item.partial else kind  # a date the definition lets be partial (2018, 2018-03)
        assert definition.get("DataType") == kind, item.oid
        assert definition.get("SDSVarName") == item.sdtm
        assert definition.findtext("o:Question/o:TranslatedText", namespaces=N) == item.label
        unit = definition.find("o:MeasurementUnitRef", N)
        assert (symbols[unit.get("MeasurementUnitOID")] if unit is not None else None) == item.units
        checks = {c.get("Comparator"): (c.get("SoftHard"), float(c.findtext("o:CheckValue", namespaces=N)))
                  for c in definition.iterfind("o:RangeCheck", N)}
        expected = {k: ("Hard", float(v)) for k, v in (("GE", item.min), ("LE", item.max)) if v is not None}
        assert checks == expected, item.oid
        assert all(c.findtext("o:ErrorMessage/o:TranslatedText", namespaces=N)
                   for c in definition.iterfind("o:RangeCheck", N))
        ref = definition.find("o:CodeListRef", N)
        assert (ref.get("CodeListOID") if ref is not None else None) == (item.codelist.oid if item.codelist else None)
        if item.data_type is DataType.TEXT:
            assert definition.get("Length") == str(item.max_length)
    temp = one("//o:ItemDef[@OID='I.VS.TEMP']")
    assert (temp.get("DataType"), temp.get("SignificantDigits")) == ("float", "1")
    for codelist in study.codelists.values():
        definition = one("//o:CodeList[@OID=$o]", o=codelist.oid)
        assert definition.get("DataType") == codelist.data_type
        assert [(c.get("CodedValue"), c.findtext("o:Decode/o:TranslatedText", namespaces=N))
                for c in definition.iterfind("o:CodeListItem", N)] == [(c.value, c.label) for c in codelist.items]


def test_the_validator_refuses_broken_documents(reading):
    snapshot = etree.fromstring(export(reading, odm.write_snapshot))
    transactional = etree.fromstring(export(reading, odm.write_transactional))
    assert valid(snapshot) and valid(transactional)

    no_item_oid = deepcopy(snapshot)
    del no_item_oid.find(".//o:ItemData", N).attrib["ItemOID"]
    no_timestamp = deepcopy(transactional)
    record = no_timestamp.find(".//o:AuditRecord", N)
    record.remove(record.find("o:DateTimeStamp", N))
    bad_type = deepcopy(snapshot)
    bad_type.set("FileType", "Archive")
    out_of_order = deepcopy(snapshot)
    subject = out_of_order.find(".//o:SubjectData", N)
    subject.append(subject.find("o:SiteRef", N))  # SiteRef must come before the events
    bad_stamp = deepcopy(transactional)
    bad_stamp.find(".//o:AuditRecord/o:DateTimeStamp", N).text = "yesterday"
    for broken in (no_item_oid, no_timestamp, bad_type, out_of_order, bad_stamp):
        assert not valid(broken)


def test_a_sponsor_receives_the_year_of_birth_only(reading):
    born = {v for v in reading.scalars(select(ItemData.value).where(ItemData.item_oid == "I.DM.BRTHDAT"))}
    assert born and all(len(b) == 10 for b in born)
    for writer in (odm.write_snapshot, odm.write_transactional):
        data = export(reading, writer, "sponsor")
        doc = assert_valid(data)
        shown = set(doc.xpath("//o:ItemData[@ItemOID='I.DM.BRTHDAT']/@Value", namespaces=N))
        assert shown == {b[:4] for b in born}
        assert not any(b.encode() in data for b in born)
        assert one_attr(doc, "//o:ItemDef[@OID='I.DM.BRTHDAT']/@DataType") == "partialDate"
        assert "oximeter broken" not in data.decode()  # a reason for "not done" is people's words
    assert odm.read_values(export(reading, odm.write_snapshot, "sponsor")) == db_values(reading, "sponsor")
    assert odm.read_values(export(reading, odm.write_transactional, "sponsor")) == db_values(reading, "sponsor")


def one_attr(doc, path):
    found = doc.xpath(path, namespaces=N)
    assert len(found) == 1
    return found[0]


def test_a_site_export_holds_that_site_only(reading):
    for writer in (odm.write_snapshot, odm.write_transactional):
        data = export(reading, writer, "data_manager", "02")
        doc = assert_valid(data)
        assert doc.get("Granularity") == "SingleSite"
        assert set(doc.xpath("//o:SubjectData/@SubjectKey", namespaces=N)) == {SITE2_KEY[0]}
        assert set(doc.xpath("//o:Location/@OID", namespaces=N)) == {"LOC.02"}
        assert b"01-S00" not in data
        assert set(doc.xpath("//o:User/@OID", namespaces=N)) == (
            {user_oid("coordinator2")} if writer is odm.write_transactional else set())
        assert odm.read_values(data) == db_values(reading, "data_manager", "02")


def test_one_subject_is_exported_alone_and_only_from_the_requesters_sites(reading):
    from ecrf.errors import NotFound

    key = SITE2_KEY[0]
    at_02, at_01 = request_for(reading, "data_manager", "02"), request_for(reading, "data_manager", "01")
    for writer in (odm.write_snapshot, odm.write_transactional):
        out = io.BytesIO()
        writer(reading, Request(**{**at_02.__dict__, "subject_key": key}), Run(), out)
        doc = assert_valid(out.getvalue())
        assert doc.get("Granularity") == "SingleSubject"
        assert set(doc.xpath("//o:SubjectData/@SubjectKey", namespaces=N)) == {key}
        with pytest.raises(NotFound):
            writer(reading, Request(**{**at_01.__dict__, "subject_key": key}), Run(), io.BytesIO())


def test_progress_is_reported_per_subject(reading):
    total = len(reading.scalars(select(Subject.id)).all())
    for writer in (odm.write_snapshot, odm.write_transactional):
        calls = []
        export(reading, writer, run=Run(progress=lambda done, n: calls.append((done, n))))
        assert calls[-1] == (total, total)
        assert [d for d, _ in calls] == sorted(d for d, _ in calls) and {n for _, n in calls} == {total}
        assert len(calls) >= total


@contextmanager
def statements(session):
    """The SQL the session is asked to run (each statement once, however many rows it streams)."""
    seen: list[str] = []

    def asked(state):
        seen.append(str(state.statement))

    event.listen(session(), "do_orm_execute", asked)
    try:
        yield seen
    finally:
        event.remove(session(), "do_orm_execute", asked)


def test_the_transactional_file_reads_the_trail_in_one_statement_whatever_its_size(reading):
    counts = {}
    for codes in (("02",), ("01",), ("01", "02")):
        with statements(reading) as seen:
            export(reading, odm.write_transactional, "data_manager", *codes)
        counts[codes] = len(seen)
        assert sum("audit_event" in s and "ORDER BY" in s for s in seen) == 1
    assert len(set(counts.values())) == 1, counts  # 1 subject or all of the demo's: the same statements
    # the snapshot reads each subject's values in one statement, its signatures in another
    everyone = len(reading.scalars(select(Subject.id)).all())  # the demo's cohort and the site-02 story
    for codes, subjects in ((("02",), 1), (("01", "02"), everyone)):
        with statements(reading) as seen:
            export(reading, odm.write_snapshot, "data_manager", *codes)
        assert sum("item_data" in s for s in seen) == subjects
        assert sum("FROM signature" in s and "signature.subject_id = " in s for s in seen) == subjects


# -- the command line -------------------------------------------------------------------------------------------

def test_the_command_line_writes_both_files_to_a_file_or_standard_output(app, world, db_url, monkeypatch, tmp_path):
    from ecrf.cli import main
    from ecrf.infra.extensions import db

    with app.app_context():
        for code in ("01", "02"):
            subject = new_subject(db.session, code)
            save(db.session, subject, "F.VS", vs_values())
        db.session.remove()
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "x")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    runner = CliRunner()

    snapshot = runner.invoke(main, ["export", "odm", "--out", str(tmp_path / "s.xml")])
    assert snapshot.exit_code == 0, snapshot.output
    doc = assert_valid((tmp_path / "s.xml").read_bytes())
    assert doc.get("FileType") == "Snapshot" and len(doc.findall(".//o:SubjectData", N)) == 2

    transactional = runner.invoke(main, ["export", "odm", "--transactional", "--out", str(tmp_path / "t.xml")])
    assert transactional.exit_code == 0, transactional.output
    doc = assert_valid((tmp_path / "t.xml").read_bytes())
    assert doc.get("Archival") == "Yes"
    assert odm.read_values((tmp_path / "t.xml").read_bytes()) == odm.read_values((tmp_path / "s.xml").read_bytes())

    site = runner.invoke(main, ["export", "odm", "--site", "01", "--out", str(tmp_path / "01.xml")])
    assert site.exit_code == 0, site.output
    doc = assert_valid((tmp_path / "01.xml").read_bytes())
    assert [k.startswith("01-") for k in doc.xpath("//o:SubjectData/@SubjectKey", namespaces=N)] == [True]

    piped = runner.invoke(main, ["export", "odm", "--transactional", "--site", "02"])
    assert piped.exit_code == 0, piped.output
    doc = assert_valid(piped.stdout_bytes)
    assert [k.startswith("02-") for k in set(doc.xpath("//o:SubjectData/@SubjectKey", namespaces=N))] == [True]

    with app.app_context():
        written = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export_written",
                                                                   AuditEvent.entity.in_(("odm", "odm_transactional")))
                                          .order_by(AuditEvent.seq)))
        db.session.remove()
    assert [w.entity for w in written] == ["odm", "odm_transactional", "odm", "odm_transactional"]
    assert f'"sha256": "{hashlib.sha256((tmp_path / "s.xml").read_bytes()).hexdigest()}"' in written[0].new_value
