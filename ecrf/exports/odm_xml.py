"""ODM 1.3.2 writing primitives: the namespace, elements written straight into an lxml ``xmlfile`` (nothing is kept
once written), times in UTC with their offset, and the OIDs this system gives to what the study definition leaves
unnamed (measurement units, users, sites, signature meanings, the "no value" flags)."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

from lxml import etree

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
#: the root's namespaces: ODM's as the default; ``xml`` declared too (the Namespaces recommendation allows it), or
#: lxml's xmlfile would invent a prefix for xml:lang on every TranslatedText
NSMAP = {None: NS, "xml": XML_NS}
LANG = "en"

#: clinical data goes out a piece at a time (one form, one save) built as a small tree and written whole: lxml
#: builds it in C, several times faster than an xmlfile context per element; each piece redeclares the default
#: namespace (one attribute per piece, not per element)
PIECE_NSMAP = {None: NS}

#: the code list of the explicit "no value" answers (ecrf.study.types.MISSING_CODES), named by an ItemData's Flag
MISSING_CODELIST = "CL.ECRF.MISSING"

_TAGS: dict[str, str] = {}
# characters XML 1.0 cannot carry at all (control characters): replaced, so one bad legacy value cannot stop a file
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def q(tag: str) -> str:
    """``Tag`` in the ODM namespace (Clark notation), cached: the writers ask for a few tags millions of times."""
    try:
        return _TAGS[tag]
    except KeyError:
        _TAGS[tag] = name = f"{{{NS}}}{tag}"
        return name


def text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def attrs(**given) -> dict[str, str]:
    """Attributes without the absent ones (None)."""
    return {k: v for k, v in given.items() if v is not None}


def leaf(xf, tag: str, content: str | None = None, **given) -> None:
    """``<Tag a="..">content</Tag>``, written now."""
    with xf.element(q(tag), attrs(**given)):
        if content is not None:
            xf.write(text(content))


def piece(tag: str, **given) -> etree._Element:
    """The root of a piece of clinical data, to be written with ``xf.write``."""
    return etree.Element(q(tag), attrs(**given), nsmap=PIECE_NSMAP)


def sub(parent: etree._Element, tag: str, content: str | None = None, **given) -> etree._Element:
    """``<Tag a="..">content</Tag>`` appended to ``parent``."""
    element = etree.SubElement(parent, q(tag), attrs(**given))
    if content is not None:
        element.text = text(content)
    return element


def translated(xf, tag: str, content: str) -> None:
    """``<Tag><TranslatedText xml:lang="en">content</TranslatedText></Tag>`` (Question, Decode, Description ...)."""
    with xf.element(q(tag)):
        with xf.element(q("TranslatedText"), {XML_LANG: LANG}):
            xf.write(text(content))


def timestamp(moment: datetime) -> str:
    """An aware moment in UTC with its offset: ``2026-11-25T06:03:12.123456+00:00``."""
    return moment.astimezone(timezone.utc).isoformat()


def yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def user_oid(username: str) -> str:
    return f"USR.{username}"


def location_oid(site_code: str) -> str:
    return f"LOC.{site_code}"


def signature_oid(meaning: str) -> str:
    """A meaning's SignatureDef: named by a digest of its words, so the OID is the same in every export."""
    return "SD." + hashlib.sha256(meaning.encode()).hexdigest()[:12]


_UNIT_WORDS = {"%": "PCT", "/": "_PER_", "^": "E", "µ": "u", "°": "DEG", "²": "2", "+": "POS", " ": "_", ".": "_"}


def unit_oids(units) -> dict[str, str]:
    """Readable, distinct OIDs for the measurement units (``mmol/L`` -> ``MU.mmol_PER_L``); a collision gets the
    unit's digest appended rather than a number that would shift when a unit is added."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for unit in sorted(set(units)):
        readable = "".join(_UNIT_WORDS.get(c, c if c.isascii() and c.isalnum() else "_") for c in unit)
        oid = f"MU.{readable}"
        if oid in taken:
            oid = f"{oid}.{hashlib.sha256(unit.encode()).hexdigest()[:8]}"
        taken.add(oid)
        out[unit] = oid
    return out
