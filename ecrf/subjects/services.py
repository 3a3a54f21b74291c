"""Creating subjects and numbering them."""
from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecrf.auth.models import Site
from ecrf.subjects.models import Counter, Subject

_counter = Counter.__table__


def next_value(session: Session, name: str) -> int:
    """Advance the counter ``name`` and return its new value; safe under concurrent transactions.

    The UPDATE ... RETURNING takes the row lock, so two transactions can never
    get the same number; the first use creates the row (a racing creator retries).
    """
    for _ in range(3):
        value = session.execute(
            update(_counter).where(_counter.c.name == name).values(value=_counter.c.value + 1)
            .returning(_counter.c.value)
        ).scalar()
        if value is not None:
            return value
        try:
            with session.begin_nested():
                session.execute(insert(_counter).values(name=name, value=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"could not advance counter {name}")


def create_subject(session: Session, site: Site) -> Subject:
    """A new subject in screening, known by its screening number (site code, S, sequence)."""
    number = next_value(session, f"screening:{site.code}")
    subject = Subject(site=site, key=f"{site.code}-S{number:03d}", status="screening")
    session.add(subject)
    session.flush()
    return subject
