"""Eight processes writing at once extend one linear chain: no fork, no gap, nothing lost."""
from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

WRITERS, SAVES = 8, 6


def test_concurrent_writers_never_fork_the_chain(app, world, db_url, tmp_path):
    from chain_writer import write
    from helpers import register_icf

    from ecrf.audit.chain import verify
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        register_icf(db.session)  # once, before the writers race to consent their subjects
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WRITERS) as pool:
        done = pool.starmap(write, [(db_url, str(tmp_path / f"i{n}"), SAVES) for n in range(WRITERS)])
    assert done == [SAVES] * WRITERS
    with app.app_context():
        result = verify(db.session.connection())
        assert result.ok, result
        expected = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert result.count == expected > before
        seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        assert seqs == list(range(1, expected + 1))
        hr = db.session.scalars(select(AuditEvent.new_value).where(AuditEvent.item_oid == "I.VS.HR")).all()
        assert len(hr) == WRITERS * SAVES
