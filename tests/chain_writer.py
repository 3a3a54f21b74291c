"""A separate process that saves forms as fast as it can (for the concurrency test)."""
from __future__ import annotations


def write(url: str, instance: str, saves: int) -> int:
    from helpers import consent, save, vs_values
    from sqlalchemy import select

    from ecrf.app import create_app
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import Site
    from ecrf.infra.extensions import db
    from ecrf.subjects.services import create_subject

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": instance})
    with app.app_context():
        set_actor(db.session, Actor(None, "writer", "system"))
        subject = create_subject(db.session, db.session.scalar(select(Site).where(Site.code == "01")))
        db.session.commit()
        consent(db.session, subject)
        for n in range(saves):
            save(db.session, subject, "F.VS", vs_values(**{"I.VS.HR": str(60 + n)}), reason_code="TRANSCRIPTION")
        db.session.remove()
        db.engine.dispose()
    return saves
