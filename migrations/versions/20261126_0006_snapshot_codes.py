"""Eligibility snapshots store codes, not English sentences: each criterion keeps its code, status and
missing OIDs; the English label goes (the catalogue has it, by code) and the value sentence becomes a
message {"code": "legacy", "text": <the sentence as it was>} that the catalogue shows as it is.

Each rewritten row gets an audit record (an update of eligibility_review, reason FORMAT_MIGRATED), as any
other change to trial data does. Audit rows themselves are hashed and append-only: their English reasons
stay as they are and are rendered as they are. A snapshot that cannot be parsed is left untouched.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_reviews = sa.table("eligibility_review", sa.column("id"), sa.column("subject_id"), sa.column("snapshot"))
_subjects = sa.table("subject", sa.column("id"), sa.column("key"), sa.column("site_id"))
_sites = sa.table("site", sa.column("id"), sa.column("code"))


def to_codes(snapshot: str) -> str | None:
    """The coded form of an English-sentence snapshot; None when it is not one (already coded, or unreadable)."""
    try:
        criteria = json.loads(snapshot)
    except (TypeError, ValueError):
        return None
    if not isinstance(criteria, list) or not all(
            isinstance(c, dict) and isinstance(c.get("code"), str) and isinstance(c.get("status"), str)
            and "message" not in c and (c.get("value") is None or isinstance(c.get("value"), str))
            for c in criteria) or not criteria:
        return None
    coded = [{"code": c["code"], "status": c["status"],
              "message": {"code": "legacy", "text": c["value"]} if c.get("value") else None,
              "missing": [m for m in c.get("missing") or () if isinstance(m, str)]} for c in criteria]
    return json.dumps(coded, ensure_ascii=False, separators=(",", ":"))


def to_sentences(snapshot: str) -> str | None:
    """The English-sentence form of a coded snapshot (for a downgrade); None when it is not one."""
    from ecrf.study.words import criterion_label, render

    try:
        criteria = json.loads(snapshot)
    except (TypeError, ValueError):
        return None
    if not isinstance(criteria, list) or not criteria or not all(
            isinstance(c, dict) and isinstance(c.get("code"), str) and "message" in c for c in criteria):
        return None
    return json.dumps([{"code": c["code"], "label": criterion_label(c["code"]), "status": c.get("status"),
                        "value": render(c["message"]), "missing": c.get("missing") or []} for c in criteria])


def _rewrite(convert, revision_note: str) -> None:
    from ecrf.audit import chain
    from ecrf.study.reasons import format_migrated

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_reviews.c.id, _reviews.c.snapshot, _subjects.c.key, _sites.c.code)
        .join(_subjects, _subjects.c.id == _reviews.c.subject_id).join(_sites, _sites.c.id == _subjects.c.site_id)
        .order_by(_reviews.c.id)).all()
    audit = []
    for review_id, snapshot, subject_key, site_code in rows:
        new = convert(snapshot)
        if new is None or new == snapshot:
            continue
        connection.execute(_reviews.update().where(_reviews.c.id == review_id).values(snapshot=new))
        audit.append({
            "user_id": None, "username": "system", "role": "system", "actor_sites": None,
            "action": "update", "entity": "eligibility_review", "entity_id": str(review_id),
            "entity_key": subject_key, "site_code": site_code, "subject_key": subject_key,
            "event_oid": None, "form_oid": None, "item_oid": None,
            "old_value": json.dumps({"snapshot": snapshot}, sort_keys=True, ensure_ascii=False),
            "new_value": json.dumps({"snapshot": new}, sort_keys=True, ensure_ascii=False),
            "reason": format_migrated(revision_note),
        })
    chain.append(connection, audit)


def upgrade() -> None:
    _rewrite(to_codes, revision)


def downgrade() -> None:
    _rewrite(to_sentences, f"{revision} downgrade")
