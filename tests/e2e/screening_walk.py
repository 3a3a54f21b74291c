"""Entering a whole screening visit in the browser, as a coordinator does from the source documents: shared by the
browser tests and ``bench/screening_entry.py`` (which counts the clicks and seconds of both ways of moving on)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass
class Tally:
    moves: int = 0  # clicks that open, save or leave a form: what "save and next" saves
    choices: int = 0  # clicks on answers (a radio, a list), the same either way
    keys: int = 0
    forms: int = 0

    @property
    def clicks(self) -> int:
        return self.moves + self.choices


def consented_subject(app, days_ago: int = 3) -> tuple[str, dict[str, dict[str, str]]]:
    """A new adult man, consented ``days_ago`` days ago with his demographics entered; returns his key and the values
    of every screening form (ecrf.demo.screening), dated the day after consent."""
    from sqlalchemy import select

    from ecrf import demo
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import Site, User
    from ecrf.demo import screening
    from ecrf.infra.extensions import db
    from ecrf.subjects.services import create_subject

    with app.app_context():
        set_actor(db.session, Actor.of(db.session.scalar(select(User).where(User.username == "coordinator"))))
        subject = create_subject(db.session, db.session.scalar(select(Site).where(Site.code == "01")))
        demo._consent(subject, days_ago)
        demo._dm(subject, "M", "1988-04-02")
        db.session.commit()
        key = subject.key
        db.session.remove()
    first = date.today() - timedelta(days=days_ago - 1)
    values = screening.forms(first, sex="M", confirmed_on=first)
    values["F.SV"] = {"I.SV.STDAT": first.isoformat()}
    return key, values


def fill(page, values: dict[str, str], tally: Tally) -> None:
    """Type each value into its field as a person would (a choice is one click, a text is one key per character);
    calculated and read-only fields are left to the server."""
    for oid, value in values.items():
        field = page.locator(f'[name="{oid}"]').first
        if not field.count() or field.is_disabled() or field.get_attribute("readonly") is not None:
            continue
        kind = (field.get_attribute("type") or field.evaluate("e => e.tagName")).lower()
        if kind == "radio":
            page.check(f'input[name="{oid}"][value="{value}"]')
            tally.choices += 1
        elif kind == "select":
            field.select_option(value)
            tally.choices += 2
        elif kind == "checkbox":
            field.set_checked(value == "true")
            tally.choices += 1
        else:
            field.fill(value)
            tally.keys += len(value)


def login(page, server: str, user: str, password: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dashboard")


def with_save_and_next(page, server: str, key: str, values: dict, first_form: str) -> tuple[Tally, list[str]]:
    """From the visit's first form to its end by "Save and next form" (one click a form); returns the forms seen."""
    tally, seen = Tally(), []
    page.goto(f"{server}/subjects/{key}/events/SE.SCREENING/forms/{first_form}")
    tally.moves += 1
    while "/events/SE.SCREENING/forms/" in page.url:
        oid = page.url.split("/forms/")[1].split("?")[0].split("/")[0]
        seen.append(oid)
        fill(page, values.get(oid, {}), tally)
        page.click('[data-testid="save-next"]')
        tally.moves += 1
        tally.forms += 1
        page.wait_for_load_state()
        if page.url.split("/forms/")[-1].split("?")[0].split("/")[0] == oid:  # refused: stayed on the form
            raise AssertionError(f"{oid} was not saved: {page.locator('[data-testid=refusal]').inner_text()}")
    return tally, seen


def from_the_casebook(page, server: str, key: str, values: dict, forms: list[str]) -> Tally:
    """The way before "save and next": open each form from the casebook grid, save, back to the casebook."""
    tally = Tally()
    page.goto(f"{server}/subjects/{key}")
    tally.moves += 1
    for oid in forms:
        page.click(f'[data-testid="cell-SE.SCREENING-{oid}"] a')
        fill(page, values.get(oid, {}), tally)
        page.click('[data-testid="save"]')
        page.click('[data-testid="back-to-casebook"]')
        tally.moves += 3
        tally.forms += 1
    return tally
