"""Every CRF of the study, collected in one tuple the study definition loads.

The CRFs are declared as data, one module per area:

* ``subject``     F.IC, F.DM, F.ENROL, F.DEATH, F.EOS
* ``adverse``     F.AE, F.CM, F.SAERPT
* ``pregnancy``   F.PREG, F.CONTRA, F.PREGREP
* ``history``     F.SLEHX, F.PRIORTX, F.MH
* ``vitals``      F.VS, F.HTWT, F.PE
* ``screening``   F.SV, F.SEROLOGY, F.CARDIO, F.CHEST, F.ELIG
* ``labs``        F.HEM, F.CHEM, F.UA
* ``biomarkers``  F.IMMUNO, F.CYTOKINE, F.CARTPK
* ``disease``     F.SLEDAI, F.PGA, F.GCIS, F.BILAG
* ``celltherapy`` F.LEUK, F.PRODUCT, F.LD, F.LDDOSE, F.INF
* ``safety``      F.CRS, F.ICANS, F.LTFU

Shared code lists are in ``codelists``; ``builders`` has the one-line item shorthands.
OIDs: forms ``F.<FORM>``, groups ``IG.<FORM>.<NAME>``, items ``I.<FORM>.<NAME>``, code lists ``CL.<NAME>``.
"""
from __future__ import annotations

from ecrf.study.crfs import (
    adverse,
    biomarkers,
    celltherapy,
    disease,
    history,
    labs,
    pregnancy,
    safety,
    screening,
    subject,
    vitals,
)
from ecrf.study.types import CodeList, Form

FORMS: tuple[Form, ...] = (
    *subject.FORMS,
    *adverse.FORMS,
    *pregnancy.FORMS,
    *history.FORMS,
    *vitals.FORMS,
    *screening.FORMS,
    *labs.FORMS,
    *biomarkers.FORMS,
    *disease.FORMS,
    *celltherapy.FORMS,
    *safety.FORMS,
)

CODELISTS: tuple[CodeList, ...] = tuple(
    {item.codelist.oid: item.codelist for form in FORMS for item in form.items if item.codelist}.values()
)
