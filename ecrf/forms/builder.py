"""Builds a WTForms class from a CRF definition (one class per form OID, cached).

Fields are named by item OID. The fields only carry and render raw input;
validation is ecrf.study.validation's, run by the capture service, so the web
form and the API refuse the same values with the same messages.
"""
from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput, DateTimeLocalInput

from ecrf.study.reasons import REASONS
from ecrf.study.types import MISSING_CODES, DataType, Form, Item
from ecrf.study.validation import date_format

#: the names of an item's "not done"/"unknown" fields on the web form (":" is in no OID)
MISSING_SUFFIX, REASON_SUFFIX = ":missing", ":reason"


def missing_field(oid: str) -> str:
    return oid + MISSING_SUFFIX


def reason_field(oid: str) -> str:
    return oid + REASON_SUFFIX


def _hint(item: Item) -> str:
    parts = []
    if item.min is not None and item.max is not None:
        parts.append(f"Range {item.min}–{item.max}")
    elif item.min is not None:
        parts.append(f"At least {item.min}")
    elif item.max is not None:
        parts.append(f"At most {item.max}")
    if item.units:
        parts.append(item.units)
    return " ".join(parts)


def _field(item: Item):
    common = {"label": item.label, "description": item.help}
    kind = item.data_type
    if item.calculated:
        return StringField(render_kw={"readonly": True, "data-calculated": item.calculated}, **common)
    if kind is DataType.BOOLEAN:
        return RadioField(choices=[("true", "Yes"), ("false", "No")], validate_choice=False, **common)
    if kind is DataType.CODELIST:
        choices = [(c.value, c.label) for c in item.codelist.items]
        if len(choices) <= 4:
            return RadioField(choices=choices, validate_choice=False, **common)
        return SelectField(choices=[("", "—")] + choices, validate_choice=False, **common)
    if kind is DataType.DATE and item.partial:  # a date picker cannot take "2018-03": typed, with its format shown
        return StringField(render_kw={"placeholder": date_format(item), "autocomplete": "off", "maxlength": 10},
                           **common)
    if kind is DataType.DATE:
        return StringField(widget=DateInput(), **common)
    if kind is DataType.DATETIME:
        return StringField(widget=DateTimeLocalInput(), **common)
    if kind in (DataType.INTEGER, DataType.FLOAT):
        mode = "numeric" if kind is DataType.INTEGER else "decimal"
        return StringField(render_kw={"inputmode": mode, "autocomplete": "off"}, **common)
    if item.max_length > 200:
        return TextAreaField(render_kw={"rows": 2}, **common)
    return StringField(render_kw={"maxlength": item.max_length}, **common)


class CrfForm(FlaskForm):
    """A CRF's fields, named by item OID, plus the version and the reason for change."""

    def field_for(self, key: str):
        """Where a validation message keyed ``key`` is shown (the reason for change is asked in two fields)."""
        return self.reason_code if key == "reason" else self._fields.get(key)


@cache
def form_class(definition: Form) -> type[CrfForm]:
    """The WTForms class for a CRF, plus the version and reason-for-change fields."""
    attrs = {item.oid: _field(item) for item in definition.items}
    for item in definition.items:
        if item.missing_allowed:  # an explicit "no value" with its reason, instead of a value
            attrs[missing_field(item.oid)] = SelectField(
                "No value", choices=[("", "—")] + [(c, MISSING_CODES[c]) for c in item.missing_allowed],
                validate_choice=False)
            attrs[reason_field(item.oid)] = StringField("Reason", render_kw={"maxlength": 500})
    attrs["version"] = HiddenField()
    attrs["reason_code"] = SelectField("Reason for change", choices=[("", "—")] + [
        (c.value, c.label) for c in REASONS.items], validate_choice=False)
    attrs["reason_note"] = TextAreaField("Explanation", render_kw={"rows": 2, "maxlength": 1000})
    return type(f"CRF_{definition.oid.replace('.', '_')}", (CrfForm,), attrs)


def hint(item: Item) -> str:
    """The range and unit shown beside an input."""
    return _hint(item)
