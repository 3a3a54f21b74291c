"""Writing item values onto a form row: the one place item rows are created or changed."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData
from ecrf.study.clock import utcnow
from ecrf.study.types import Form


def apply_values(session: Session, form: FormData, changed: dict[str, str | None],
                 formulas: dict[str, str | None]) -> None:
    """Set the changed values (a cleared value stays as a NULL row, so its history stays attached)."""
    rows = {i.item_oid: i for i in form.items}
    for oid, value in changed.items():
        formula = formulas.get(oid) if value is not None else None
        if oid in rows:
            rows[oid].value, rows[oid].formula = value, formula
        elif value is not None:
            session.add(ItemData(form=form, item_oid=oid, value=value, formula=formula))


def mark(form: FormData, definition: Form, merged: dict[str, str | None], user_id: int | None) -> None:
    """Status from the required items, the first completion time, and who changed it when."""
    complete = all(merged.get(i.oid) is not None for i in definition.items if i.required)
    form.status = "complete" if complete else "incomplete"
    if complete and form.completed_at is None:
        form.completed_at = utcnow()
    form.updated_at, form.updated_by_id = utcnow(), user_id
