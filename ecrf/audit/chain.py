"""The hash chain: canonical content of a record, appending under the head lock, verification."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from ecrf.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from ecrf.study.clock import utcnow

# Order matters: it is the canonical form the hash covers. Never reorder; add at the end with a new version.
HASHED_FIELDS = (
    "seq", "ts", "user_id", "username", "role", "actor_sites", "action", "entity", "entity_id", "entity_key",
    "site_code", "subject_key", "event_oid", "form_oid", "item_oid", "old_value", "new_value", "reason",
    "prev_hash",
)

_events = AuditEvent.__table__
_head = AuditHead.__table__


def _canonical(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def record_hash(row) -> str:
    """SHA-256 over the record's canonical JSON (a mapping or a Row with the HASHED_FIELDS)."""
    get = row.__getitem__ if isinstance(row, dict) else row._mapping.__getitem__
    payload = json.dumps([_canonical(get(f)) for f in HASHED_FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(connection: Connection, rows: list[dict]) -> None:
    """Number, time-stamp, chain and insert ``rows`` in the caller's transaction.

    The no-op UPDATE takes the head's row lock (PostgreSQL) or the write lock
    (SQLite) before the head is read, so two writers can never read the same head.
    """
    if not rows:
        return
    connection.execute(update(_head).where(_head.c.id == 1).values(seq=_head.c.seq))
    seq, prev = connection.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one()
    now = utcnow()
    for row in rows:
        seq += 1
        row.update(seq=seq, ts=now, prev_hash=prev)
        row["hash"] = prev = record_hash(row)
    connection.execute(_events.insert(), rows)
    connection.execute(update(_head).where(_head.c.id == 1).values(seq=seq, hash=prev))


def head(connection: Connection) -> tuple[int, str]:
    """(sequence number, hash) of the last record: print it on exports, so a rewritten chain shows."""
    return tuple(connection.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one())


@dataclass
class Verification:
    """Outcome of walking the chain."""

    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""


def verify(connection: Connection, batch: int = 20_000) -> Verification:
    """Walk every record in sequence order, recomputing each hash and link.

    Detects an altered record (its hash no longer matches its content), a
    removed one (a gap in the sequence or a broken link) and an inserted one
    (a broken link or a sequence that does not match the head).
    """
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    columns = [_events.c[f] for f in HASHED_FIELDS] + [_events.c.hash]
    result = connection.execute(select(*columns).order_by(_events.c.seq).execution_options(yield_per=batch))
    try:
        for row in result:
            if row.seq != expected_seq:
                return Verification(False, count, prev, expected_seq, f"record {expected_seq} is missing")
            if row.prev_hash != prev:
                return Verification(False, count, prev, row.seq, "link to the previous record is broken")
            if record_hash(row) != row.hash:
                return Verification(False, count, prev, row.seq, "content does not match its hash")
            prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    finally:
        result.close()  # a server-side cursor on PostgreSQL
    head = connection.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one_or_none()
    if head is None or head.seq != count or head.hash != prev:
        return Verification(False, count, prev, count + 1 if head and head.seq > count else count,
                            "chain head does not match the last record")
    return Verification(True, count, prev)
