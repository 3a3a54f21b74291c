"""A realistic laboratory for the demo site: adult and paediatric (5-17 years) normal ranges, sex bands where they
differ, some limits given in the laboratory's own (conventional) unit to show the declared conversion.

Values are typical adult and paediatric reference intervals as printed by hospital laboratories (e.g. the Royal
College of Pathologists' harmonised adult ranges, Pathology Harmony 2011, and the CALIPER paediatric intervals,
Adeli K et al. Clin Chem 2017;63:1147); a real site records its own laboratory's report.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.models import Site
from ecrf.labs.models import Laboratory
from ecrf.labs.services import RangeSpec, add_range, create_laboratory

IN_FORCE_FROM = date(2020, 1, 1)
ADULT, CHILD = (18, None), (5, 17)

#: (item OID, unit, age band, sex or None, low, high); low or high None: a one-sided range
RANGES: tuple[tuple[str, str, tuple, str | None, str | None, str | None], ...] = (
    ("I.HEM.WBC", "x10^9/L", ADULT, None, "4.0", "11.0"), ("I.HEM.WBC", "x10^9/L", CHILD, None, "4.5", "13.5"),
    ("I.HEM.NEUT", "x10^9/L", ADULT, None, "2.0", "7.5"), ("I.HEM.NEUT", "x10^9/L", CHILD, None, "1.5", "8.0"),
    ("I.HEM.LYM", "x10^9/L", ADULT, None, "1.0", "4.0"), ("I.HEM.LYM", "x10^9/L", CHILD, None, "1.2", "5.2"),
    ("I.HEM.HGB", "g/L", ADULT, "M", "130", "170"), ("I.HEM.HGB", "g/L", ADULT, "F", "120", "150"),
    ("I.HEM.HGB", "g/dL", CHILD, None, "11.5", "15.5"),
    ("I.HEM.PLAT", "x10^9/L", ADULT, None, "150", "400"), ("I.HEM.PLAT", "x10^9/L", CHILD, None, "170", "450"),
    ("I.CHEM.CREAT", "µmol/L", ADULT, "M", "59", "104"), ("I.CHEM.CREAT", "µmol/L", ADULT, "F", "45", "84"),
    ("I.CHEM.CREAT", "mg/dL", CHILD, None, "0.3", "0.9"),
    ("I.CHEM.ALT", "U/L", ADULT, "M", None, "50"), ("I.CHEM.ALT", "U/L", ADULT, "F", None, "35"),
    ("I.CHEM.ALT", "U/L", CHILD, None, None, "30"),
    ("I.CHEM.AST", "U/L", ADULT, None, None, "40"), ("I.CHEM.AST", "U/L", CHILD, None, None, "45"),
    ("I.CHEM.BILI", "mg/dL", ADULT, None, "0.2", "1.2"), ("I.CHEM.BILI", "µmol/L", CHILD, None, None, "17"),
    ("I.CHEM.ALP", "U/L", ADULT, None, "30", "130"), ("I.CHEM.ALP", "U/L", CHILD, None, "100", "390"),
    ("I.CHEM.ALB", "g/L", ADULT, None, "35", "50"), ("I.CHEM.ALB", "g/L", CHILD, None, "35", "52"),
    ("I.CHEM.SODIUM", "mmol/L", ADULT, None, "133", "146"), ("I.CHEM.SODIUM", "mmol/L", CHILD, None, "133", "146"),
    ("I.CHEM.K", "mmol/L", ADULT, None, "3.5", "5.3"), ("I.CHEM.K", "mmol/L", CHILD, None, "3.5", "5.3"),
    ("I.CHEM.GLUC", "mg/dL", ADULT, None, "70", "99"), ("I.CHEM.GLUC", "mmol/L", CHILD, None, "3.5", "5.5"),
    ("I.CHEM.PHOS", "mmol/L", ADULT, None, "0.8", "1.5"), ("I.CHEM.PHOS", "mmol/L", CHILD, None, "1.0", "1.8"),
    ("I.CHEM.INR", "", ADULT, None, "0.8", "1.2"), ("I.CHEM.INR", "", CHILD, None, "0.8", "1.2"),
    ("I.UA.RBC", "/HPF", ADULT, None, None, "5"), ("I.UA.RBC", "/HPF", CHILD, None, None, "5"),
    ("I.UA.WBC", "/HPF", ADULT, None, None, "5"), ("I.UA.WBC", "/HPF", CHILD, None, None, "5"),
    ("I.UA.UPCR", "mg/mg", ADULT, None, None, "0.2"), ("I.UA.UPCR", "mg/mg", CHILD, None, None, "0.2"),
)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def seed_demo_ranges(session: Session, site: Site) -> Laboratory:
    """The site's laboratory "LAB1" with the ranges above (once: a second call returns the laboratory as is)."""
    lab = session.scalar(select(Laboratory).where(Laboratory.site_id == site.id, Laboratory.code == "LAB1"))
    if lab is not None:
        return lab
    lab = create_laboratory(session, site, "LAB1", f"{site.name} hospital laboratory", why="demo laboratory")
    for oid, unit, (age_min, age_max), sex, low, high in RANGES:
        add_range(session, lab, RangeSpec(oid, unit, _dec(low), _dec(high), IN_FORCE_FROM, None, age_min, age_max,
                                          sex), why="demo laboratory's reference ranges")
    return lab
