"""Who has consented to what: validity for data entry, and re-consent flags (ICH E6(R3) 2.8; protocol IN11).

Consents are entered on the repeating consent CRF (F.IC); these functions read
those entries, the ICF register and the date of birth. Pure: no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from ecrf.study import codec, protocol


@dataclass(frozen=True)
class Consent:
    """One signed consent document, from an F.IC entry."""

    type: str  # ADULT | GUARDIAN | ASSENT
    signer: str  # PARTICIPANT | LAR
    signed_on: date
    version: str


def from_entries(entries: list[dict], tz: ZoneInfo) -> list[Consent]:
    """Complete F.IC entries as consents, oldest first."""
    out = []
    for e in entries:
        if e.get("I.IC.TYPE") and e.get("I.IC.SIGNER") and e.get("I.IC.DTC") and e.get("I.IC.VERSION"):
            out.append(Consent(e["I.IC.TYPE"], e["I.IC.SIGNER"], codec.local_date(e["I.IC.DTC"], tz),
                               e["I.IC.VERSION"]))
    return sorted(out, key=lambda c: c.signed_on)


def allows_data_entry(consents: list[Consent], today: date) -> bool:
    """Data may be entered once the participant's or guardian's consent is on file (IN11)."""
    return any(c.signed_on <= today and (c.type, c.signer) in (("ADULT", "PARTICIPANT"), ("GUARDIAN", "LAR"))
               for c in consents)


def first_consent(consents: list[Consent]) -> date | None:
    main = [c.signed_on for c in consents if c.type in ("ADULT", "GUARDIAN")]
    return min(main) if main else None


def birthday(dob: date, years: int) -> date:
    try:
        return dob.replace(year=dob.year + years)
    except ValueError:  # 29 February
        return date(dob.year + years, 3, 1)


def reconsent_flags(consents: list[Consent], latest_versions: dict[str, tuple[str, date]], dob: date | None,
                    today: date, assent_age: int | None = None) -> list[str]:
    """Why this (active) subject must consent again: a newer approved ICF, majority, or assent age reached."""
    assent_age = protocol.active().assent_age_years if assent_age is None else assent_age
    adult_age = protocol.active().adult_age_years
    flags = []
    for population, (version, approved) in latest_versions.items():
        signed = [c for c in consents if c.type == population]
        if signed and signed[-1].version != version and signed[-1].signed_on < approved:
            flags.append(f"Re-consent needed: ICF {population.lower()} version {version} approved {approved} "
                         f"(last signed: version {signed[-1].version} on {signed[-1].signed_on}).")
    if dob is not None and any(c.type == "GUARDIAN" for c in consents):
        adult_from = birthday(dob, adult_age)
        if today >= adult_from and not any(c.type == "ADULT" and c.signed_on >= adult_from for c in consents):
            flags.append(f"Adult re-consent needed: the participant turned {adult_age} on {adult_from}.")
        assent_from = birthday(dob, assent_age)
        if assent_from <= today < adult_from and not any(c.type == "ASSENT" for c in consents):
            flags.append(f"Child assent needed: the participant reached {assent_age} on {assent_from}.")
    return flags
