"""Declared unit conversions for laboratory analytes: the one home of every lab unit factor.

Each analyte (its LBTESTCD, the ``sdtm`` name of the CRF item) has one standard unit, the unit the CRF stores,
and the other units a laboratory may report it in, each with the factor that multiplies a value in that unit to
give the standard unit. Nobody types a factor by hand: the result's unit is chosen from these, and the standard
value (and a range's limits given in another unit) is derived through the factor here.

Sources (SI conversion factors):
* AMA Manual of Style, SI conversion table (amamanualofstyle.com, "SI Conversion Calculator"), and
  Young DS, "Implementation of SI units for clinical laboratory data", Ann Intern Med 1987;106:114-129.
* Creatinine 88.4 umol/L per mg/dL (kidney.org, National Kidney Foundation; the factor ecrf.clinical.renal uses).
* Bilirubin 17.1 umol/L per mg/dL (molar mass 584.7 g/mol; Young 1987).
* Glucose 0.0555 mmol/L per mg/dL (molar mass 180.16 g/mol; AMA table).
* Urea: BUN mg/dL x 0.357 = urea mmol/L (2 N atoms x 14.007 g/mol; AMA table).
* Uric acid 59.48 umol/L per mg/dL (molar mass 168.1 g/mol; AMA table).
* Calcium 0.2495 mmol/L per mg/dL (40.08 g/mol), phosphate 0.3229 (30.97 g/mol, as P), magnesium 0.4114
  (24.305 g/mol): AMA table.
* Cholesterol 0.02586 mmol/L per mg/dL, triglycerides 0.01129 (AMA table).
* Haemoglobin g/dL x 10 = g/L; albumin and total protein g/dL x 10 = g/L; fibrinogen mg/dL x 0.01 = g/L.
* Counts: 10^9/L = 10^3/uL (x1000 per uL), so a count in /uL x 0.001 = 10^9/L; 10^12/L = 10^6/uL.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Conversion:
    """An analyte's standard unit and, for each other unit declared, the factor to the standard unit."""

    standard: str
    factors: tuple[tuple[str, Decimal], ...] = ()

    @property
    def units(self) -> tuple[str, ...]:
        """Every unit a result or a range of this analyte may be given in, the standard unit first."""
        return (self.standard, *(unit for unit, _ in self.factors))

    def factor(self, unit: str) -> Decimal:
        """The factor from ``unit`` to the standard unit (1 for the standard unit); ValueError if not declared."""
        if unit == self.standard:
            return Decimal(1)
        for declared, factor in self.factors:
            if declared == unit:
                return factor
        raise ValueError(f"unit {unit!r} is not declared (declared: {', '.join(self.units)})")


def _c(standard: str, *factors: tuple[str, str]) -> Conversion:
    return Conversion(standard, tuple((unit, Decimal(f)) for unit, f in factors))


_COUNT = ("/µL", "0.001")  # 1000 /µL = 1 x10^9/L
_G_DL = ("g/dL", "10")

#: analyte code (LBTESTCD) -> its declared units; an analyte not listed has only its CRF item's unit
CONVERSIONS: dict[str, Conversion] = {
    "CREAT": _c("µmol/L", ("mg/dL", "88.4")),
    "BILI": _c("µmol/L", ("mg/dL", "17.1")),
    "BILDIR": _c("µmol/L", ("mg/dL", "17.1")),
    "GLUC": _c("mmol/L", ("mg/dL", "0.0555")),
    "UREA": _c("mmol/L", ("mg/dL BUN", "0.357")),
    "URATE": _c("µmol/L", ("mg/dL", "59.48")),
    "CA": _c("mmol/L", ("mg/dL", "0.2495")),
    "PHOS": _c("mmol/L", ("mg/dL", "0.3229")),
    "MG": _c("mmol/L", ("mg/dL", "0.4114")),
    "CHOL": _c("mmol/L", ("mg/dL", "0.02586")),
    "TRIG": _c("mmol/L", ("mg/dL", "0.01129")),
    "HGB": _c("g/L", _G_DL, ("mmol/L", "16.11")),  # Hb (monomer) 1 mmol/L = 16.11 g/L
    "ALB": _c("g/L", _G_DL),
    "PROT": _c("g/L", _G_DL),
    "FIBRINO": _c("g/L", ("mg/dL", "0.01")),
    "WBC": _c("x10^9/L", _COUNT),
    "NEUT": _c("x10^9/L", _COUNT),
    "LYM": _c("x10^9/L", _COUNT),
    "MONO": _c("x10^9/L", _COUNT),
    "EOS": _c("x10^9/L", _COUNT),
    "BASO": _c("x10^9/L", _COUNT),
    "PLAT": _c("x10^9/L", _COUNT),
    "RBC": _c("x10^12/L", ("x10^6/µL", "1")),
}


def conversion(analyte: str, standard: str | None) -> Conversion:
    """The analyte's declared conversions; an analyte without any has its one (standard) unit. ``standard`` is the
    CRF item's unit: a code shared by two specimens (RBC in blood, x10^12/L, and in urine, /HPF) has the
    conversions only where their standard unit is the item's."""
    declared = CONVERSIONS.get(analyte)
    if declared is not None and (standard is None or declared.standard == standard):
        return declared
    return Conversion(standard or "")


def to_standard(analyte: str, value: Decimal | float, unit: str, standard: str | None = None) -> Decimal:
    """``value`` given in ``unit`` in the analyte's standard unit, through the declared factor (exact decimals)."""
    return Decimal(str(value)) * conversion(analyte, standard).factor(unit)
