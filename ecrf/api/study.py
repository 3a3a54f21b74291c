"""GET /study: the study definition (schedule, forms, item groups, items, code lists)."""
from __future__ import annotations

from decimal import Decimal

from ecrf.api import replies as out
from ecrf.api.routing import reply, route
from ecrf.study.definition import METADATA_VERSION, PROTOCOL_NAME, STUDY_NAME, STUDY_OID, Study
from ecrf.study.definition import load as load_study
from ecrf.study.types import Form, Item, StudyEvent


def _number(value):
    """A limit as JSON shows it best: 10, not 10.0; 37.5 as it is."""
    if value is None or isinstance(value, int):
        return value
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def item_model(item: Item) -> out.Item:
    """One item definition."""
    codelist = item.codelist and out.CodeList(
        oid=item.codelist.oid, name=item.codelist.name,
        items=[out.CodeListItem(value=c.value, label=c.label) for c in item.codelist.items])
    return out.Item(
        oid=item.oid, label=item.label, data_type=item.data_type.value, units=item.units, min=_number(item.min),
        max=_number(item.max), required=item.required, calculated=bool(item.calculated), calculator=item.calculated,
        max_length=item.max_length, decimals=item.decimals, allow_future=item.allow_future, help=item.help,
        codelist=codelist or None)


def form_model(form: Form) -> out.FormDef:
    """One form definition with its item groups."""
    return out.FormDef(oid=form.oid, label=form.label, repeating=form.repeating, help=form.help, item_groups=[
        out.ItemGroup(oid=g.oid, label=g.label, domain=g.domain, items=[item_model(i) for i in g.items])
        for g in form.groups])


def event_model(event: StudyEvent) -> out.EventDef:
    """One study event with the forms collected at it."""
    return out.EventDef(oid=event.oid, label=event.label, type=event.type, repeating=event.repeating, day=event.day,
                        window_before=event.window_before, window_after=event.window_after, anchor=event.anchor,
                        forms=[out.FormRef(form_oid=r.form_oid, required=r.required) for r in event.forms])


def study_model(study: Study) -> out.Study:
    """The whole definition."""
    return out.Study(oid=STUDY_OID, name=STUDY_NAME, protocol=PROTOCOL_NAME, metadata_version=METADATA_VERSION,
                     events=[event_model(e) for e in study.events], forms=[form_model(f) for f in study.forms])


@route("/study", "GET", summary="The study definition", ok=out.Study,
       description="Events with the forms collected at them; forms with item groups and items.")
def study():
    return reply(study_model(load_study()))
