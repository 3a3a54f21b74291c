"""The ODM ``AdminData``: the users the clinical data refer to (who entered, changed or signed), the sites as
Locations, and one SignatureDef per signature meaning used. Only references, never passwords or addresses."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.models import User
from ecrf.exports.odm_xml import leaf, location_oid, q, signature_oid, user_oid
from ecrf.study.definition import METADATA_VERSION, STUDY_OID

_USER_TYPES = {"investigator": "Investigator", "sponsor": "Sponsor"}
LEGAL_REASON = ("Electronic signature (21 CFR 11.50, 11.70, 11.100, 11.200): the signer re-authenticated to sign; "
                "the signature is linked to exactly the data it covers")


@dataclass(frozen=True)
class Location:
    code: str
    name: str
    since: date  # the site's first day in the system: its MetaDataVersionRef's EffectiveDate


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str | None  # None: a system process that wrote records (the command line, the demo seed)
    role: str | None
    site_codes: tuple[str, ...]


def people(session: Session, usernames: Iterable[str], site_codes: set[str]) -> list[Person]:
    """The accounts of ``usernames`` with their sites among ``site_codes``; a name without an account (a system
    actor of the audit trail) is kept as such."""
    wanted = sorted(set(usernames))
    accounts = {u.username: u for u in session.scalars(select(User).where(User.username.in_(wanted)))} \
        if wanted else {}
    out = []
    for name in wanted:
        user = accounts.get(name)
        if user is None:
            out.append(Person(name, None, None, ()))
        else:
            codes = tuple(sorted(s.code for s in user.sites if s.code in site_codes))
            out.append(Person(name, user.full_name, user.role, codes))
    return out


def write_admin(xf, persons: list[Person], locations: list[Location], meanings: Iterable[str]) -> None:
    with xf.element(q("AdminData"), StudyOID=STUDY_OID):
        for person in persons:
            with xf.element(q("User"), OID=user_oid(person.username),
                            UserType=_USER_TYPES.get(person.role, "Other")):
                leaf(xf, "LoginName", person.username)
                if person.full_name is None:
                    leaf(xf, "DisplayName", "System process")
                    leaf(xf, "FullName", f"System process ({person.username})")
                else:
                    leaf(xf, "DisplayName", person.full_name)
                    leaf(xf, "FullName", person.full_name)
                for code in person.site_codes:
                    leaf(xf, "LocationRef", LocationOID=location_oid(code))
        for location in locations:
            with xf.element(q("Location"), OID=location_oid(location.code), Name=location.name, LocationType="Site"):
                leaf(xf, "MetaDataVersionRef", StudyOID=STUDY_OID, MetaDataVersionOID=METADATA_VERSION,
                     EffectiveDate=location.since.isoformat())
        for meaning in sorted(set(meanings)):
            with xf.element(q("SignatureDef"), OID=signature_oid(meaning), Methodology="Electronic"):
                leaf(xf, "Meaning", meaning)
                leaf(xf, "LegalReason", LEGAL_REASON)
