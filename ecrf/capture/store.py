"""Writing item values onto a form row: the one place item rows are created or changed."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study
from ecrf.study.types import Form


def apply_values(session: Session, form: FormData, changed: dict[str, str | None],
                 formulas: dict[str, str | None], flags: dict[str, tuple[str, str] | None] | None = None) -> None:
    """Set the changed values and "not done"/"unknown" flags (OID -> (code, reason), None to clear one); a cleared
    value stays as a NULL row, so its history stays attached."""
    rows = {i.item_oid: i for i in form.items}
    flags = flags or {}
    for oid in [*changed, *(o for o in flags if o not in changed)]:
        row = rows.get(oid)
        value = changed[oid] if oid in changed else (row.value if row else None)
        formula = formulas.get(oid) if value is not None else None
        if oid in flags:
            code, reason = flags[oid] or (None, None)
        else:
            code, reason = (row.missing_code, row.missing_reason) if row else (None, None)
        if row is not None:
            row.value, row.formula = value, formula
            row.missing_code, row.missing_reason = code, reason
        elif value is not None or code is not None:
            session.add(ItemData(form=form, item_oid=oid, value=value, formula=formula, missing_code=code,
                                 missing_reason=reason))


def mark(form: FormData, definition: Form, merged: dict[str, str | None], user_id: int | None) -> None:
    """Status from the required items (each with a value or an explicit "not done"/"unknown", required-if checks
    included), the first completion time, and who changed it when."""
    flags = {i.item_oid: i.missing_code for i in form.items if i.missing_code}
    complete = not load_study().missing_required(definition, merged, flags)
    form.status = "complete" if complete else "incomplete"
    if complete and form.completed_at is None:
        form.completed_at = utcnow()
    form.updated_at, form.updated_by_id = utcnow(), user_id
