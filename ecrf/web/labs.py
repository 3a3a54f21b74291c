"""The site laboratories and their normal ranges: list, add, change (with the reason), for data management and
administrators; a data manager sees the laboratories of their own sites, an administrator every site's."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ecrf.auth.models import Site
from ecrf.auth.permissions import can
from ecrf.errors import Invalid
from ecrf.forms.lab_forms import LaboratoryForm, RangeForm
from ecrf.infra.extensions import db
from ecrf.labs import services
from ecrf.labs.models import Laboratory, NormalRange
from ecrf.study import literals
from ecrf.study.crfs.labs import ANALYTES
from ecrf.web.actions import perform

bp = Blueprint("labs", __name__, url_prefix="/admin/laboratories")


def _sites() -> list[Site]:
    query = select(Site).order_by(Site.code)
    if not can(current_user, "manage_sites"):  # who manages sites sees every site's; data management their own
        query = query.where(Site.id.in_(current_user.site_ids or {-1}))
    return list(db.session.scalars(query))


def _lab(lab_id: int) -> Laboratory:
    lab = db.session.get(Laboratory, lab_id)
    if lab is None or lab.site_id not in {s.id for s in _sites()}:
        abort(404)
    return lab


def _guard() -> None:
    if not can(current_user, "manage_lab_ranges"):
        abort(403)


@bp.route("", methods=["GET", "POST"])
def laboratories():
    _guard()
    sites = _sites()
    form = LaboratoryForm()
    form.site.choices = [(s.code, f"{s.code} {s.name}") for s in sites]
    if form.validate_on_submit():
        site = next((s for s in sites if s.code == form.site.data), None) or abort(404)
        if perform(lambda: services.create_laboratory(db.session, site, form.code.data, form.name.data),
                   "Laboratory added.", form=form):
            return redirect(url_for("labs.laboratories"))
    labs = db.session.scalars(select(Laboratory).where(Laboratory.site_id.in_([s.id for s in sites] or [-1]))
                              .options(selectinload(Laboratory.site), selectinload(Laboratory.ranges))
                              .order_by(Laboratory.site_id, Laboratory.code)).all()
    return render_template("labs/laboratories.html", labs=labs, form=form)


def _decimal(text: str | None, field: str) -> Decimal | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    if not literals.is_decimal(text):
        raise Invalid({field: "Enter a number such as 3.5."})
    return Decimal(text)


def _age(text: str | None, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise Invalid({field: "Enter an age in whole years."})
    return int(text)


def _day(text: str | None, field: str, required: bool):
    text = (text or "").strip()
    if not text and not required:
        return None
    try:
        return literals.day(text, field)
    except literals.BadLiteral as exc:
        raise Invalid({field: str(exc)}) from None


def _spec(form: RangeForm, analyte: str) -> services.RangeSpec:
    """The range the form describes; Invalid naming each field that cannot be read."""
    errors, values = {}, {}
    readers = {"low": lambda: _decimal(form.low.data, "low"), "high": lambda: _decimal(form.high.data, "high"),
               "effective_from": lambda: _day(form.effective_from.data, "effective_from", True),
               "effective_to": lambda: _day(form.effective_to.data, "effective_to", False),
               "age_min": lambda: _age(form.age_min.data, "age_min"), "age_max": lambda: _age(form.age_max.data,
                                                                                                "age_max")}
    for name, read in readers.items():
        try:
            values[name] = read()
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    unit = (form.unit.data or "").strip() or (ANALYTES[analyte].units or "" if analyte in ANALYTES else "")
    return services.RangeSpec(analyte, unit, sex=form.sex.data or None, **values)


@bp.route("/<int:lab_id>", methods=["GET", "POST"])
def laboratory(lab_id: int):
    _guard()
    lab = _lab(lab_id)
    form = RangeForm()
    if form.validate_on_submit() and perform(
            lambda: services.add_range(db.session, lab, _spec(form, form.analyte.data), why=form.reason.data),
            "Range added.", form=form):
        return redirect(url_for("labs.laboratory", lab_id=lab.id))
    return render_template("labs/laboratory.html", lab=lab, ranges=lab.ranges, form=form, analytes=ANALYTES)


@bp.route("/<int:lab_id>/ranges/<int:range_id>", methods=["GET", "POST"])
def edit_range(lab_id: int, range_id: int):
    _guard()
    lab = _lab(lab_id)
    rng = db.session.get(NormalRange, range_id)
    if rng is None or rng.laboratory_id != lab.id:
        abort(404)
    form = RangeForm(data={"analyte": rng.analyte, "unit": rng.unit, "low": rng.low, "high": rng.high,
                           "effective_from": rng.effective_from.isoformat(),
                           "effective_to": rng.effective_to.isoformat() if rng.effective_to else "",
                           "age_min": "" if rng.age_min is None else str(rng.age_min),
                           "age_max": "" if rng.age_max is None else str(rng.age_max), "sex": rng.sex or ""}
                     if request.method == "GET" else None)
    if form.validate_on_submit() and perform(
            lambda: services.change_range(db.session, rng, _spec(form, rng.analyte), why=form.reason.data),
            "Range changed.", form=form):
        return redirect(url_for("labs.laboratory", lab_id=lab.id))
    return render_template("labs/edit_range.html", lab=lab, rng=rng, form=form, analytes=ANALYTES)
