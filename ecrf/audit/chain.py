"""The hash chain: canonical content of a record, appending under the head lock, verification.

Chain format. Every record's hash covers its canonical content and the previous record's hash. Two formats,
told apart by the sequence number, never by anything the record says about itself:

* records with ``seq < audit_head.keyed_from`` are **legacy**: SHA-256 of the content. They were written
  before migration 9audit, which recorded ``keyed_from = last seq + 1`` and never rewrote a record;
* records with ``seq >= keyed_from`` are **keyed**: HMAC-SHA256 of the same content under the audit key
  (``ECRF_AUDIT_KEY``, else the ``audit_key`` file of the instance folder; never in the database).

So a record INSERTed with a correct-looking SHA-256 hash after ``keyed_from`` fails; the first keyed
record's HMAC covers the last legacy hash, which seals the legacy records before it. ``keyed_from`` itself
cannot be changed (a trigger), and moving it would make the keyed records fail as legacy ones.

The head row (``audit_head``) holds the last sequence number and hash, plus ``mac``: an HMAC of both, so a
head moved back (a truncated chain) or rewritten by whoever dropped the triggers is detected without the key.
Triggers (migration 9audit) refuse INSERT and DELETE on it and every UPDATE but the chain's own: forward,
to the hash of an existing record.

What the key cannot stop: whoever holds the key *and* owner rights on the database can drop the triggers
and rewrite the chain from any record on into one that verifies. Only a head kept outside the database
(printed by ``ecrf audit verify`` and ``ecrf backup``, sent with every audit CSV as X-Audit-Chain-Head, kept
by the sponsor) shows that: the chain no longer passes through it.

Before the first keyed record exists, a database migrated from the legacy format is as strong as it was
(SHA-256 and the triggers); the first append seals it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import inspect, null, select, update
from sqlalchemy.engine import Connection

from ecrf.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from ecrf.audit.reconcile import Mismatch, mismatches
from ecrf.infra.config import current_audit_key as current_key
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


def _payload(row) -> bytes:
    get = row.__getitem__ if isinstance(row, Mapping) else row._mapping.__getitem__
    return json.dumps([_canonical(get(f)) for f in HASHED_FIELDS], separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def record_hash(row, key: bytes | None = None) -> str:
    """The record's hash (a mapping or a Row with the HASHED_FIELDS): HMAC-SHA256 under ``key``, or the
    legacy SHA-256 when ``key`` is None."""
    if key is None:
        return hashlib.sha256(_payload(row)).hexdigest()
    return hmac.new(key, _payload(row), hashlib.sha256).hexdigest()


def head_mac(seq: int, hash_: str, key: bytes) -> str:
    """The head row's HMAC: binds its sequence number to its hash."""
    return hmac.new(key, json.dumps(["audit_head", seq, hash_]).encode("ascii"), hashlib.sha256).hexdigest()


_KEYED_SCHEMA = "ecrf_audit_keyed_schema"


def keyed_schema(connection: Connection) -> bool:
    """Whether the database has the keyed chain (migration 9audit), remembered on the pooled connection.

    Migrations before 9audit (0006 audits its rewrites) append to a legacy chain, in the legacy format.
    """
    info = connection.info
    if _KEYED_SCHEMA not in info:
        info[_KEYED_SCHEMA] = "keyed_from" in {c["name"] for c in inspect(connection).get_columns("audit_head")}
    return info[_KEYED_SCHEMA]


def mark_schema(connection: Connection, keyed: bool) -> None:
    """Called by migration 9audit (up and down) so a connection's remembered answer stays true."""
    connection.info[_KEYED_SCHEMA] = keyed


def append(connection: Connection, rows: list[dict], key: bytes | None = None) -> None:
    """Number, time-stamp, chain and insert ``rows`` in the caller's transaction.

    The no-op UPDATE takes the head's row lock (PostgreSQL) or the write lock
    (SQLite) before the head is read, so two writers can never read the same head.
    ``key`` defaults to the application's audit key.
    """
    if not rows:
        return
    keyed = keyed_schema(connection)
    if keyed:
        key = key or current_key()
    connection.execute(update(_head).where(_head.c.id == 1).values(seq=_head.c.seq))
    seq, prev, keyed_from = connection.execute(
        select(_head.c.seq, _head.c.hash, _head.c.keyed_from if keyed else null()).where(_head.c.id == 1)).one()
    now = utcnow()
    for row in rows:
        seq += 1
        row.update(seq=seq, ts=now, prev_hash=prev)
        row["hash"] = prev = record_hash(row, key if keyed_from is not None and seq >= keyed_from else None)
    connection.execute(_events.insert(), rows)
    moved = {"seq": seq, "hash": prev, **({"mac": head_mac(seq, prev, key)} if keyed else {})}
    connection.execute(update(_head).where(_head.c.id == 1).values(**moved))


def head(connection: Connection) -> tuple[int, str]:
    """(sequence number, hash) of the last record: print it on exports, so a rewritten chain shows."""
    return tuple(connection.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).one())


@dataclass
class Verification:
    """Outcome of walking the chain and reconciling the item values with it."""

    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""
    legacy_count: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def verify(connection: Connection, batch: int = 20_000, key: bytes | None = None) -> Verification:
    """Walk every record in sequence order, recomputing each hash and link, then check the head and every
    item value against the last audit record of its row.

    Detects an altered record (its hash no longer matches its content), a
    removed one (a gap in the sequence or a broken link), an inserted one
    (a broken link, or a hash made without the key), a head moved or rewritten,
    and an item value changed by raw SQL (named in ``mismatches``).
    """
    keyed = keyed_schema(connection)
    stored_head = connection.execute(
        select(_head.c.seq, _head.c.hash, *((_head.c.keyed_from, _head.c.mac) if keyed else ()))
        .where(_head.c.id == 1)).one_or_none()
    keyed_from = stored_head.keyed_from if keyed and stored_head is not None else None
    if keyed and keyed_from is None:
        return Verification(False, 0, GENESIS_HASH, 1, "the chain head has no record of where the key applies")

    expected_seq, prev, count = 1, GENESIS_HASH, 0
    last_item: dict[str, tuple] = {}
    columns = [_events.c[f] for f in HASHED_FIELDS] + [_events.c.hash]
    result = connection.execute(select(*columns).order_by(_events.c.seq).execution_options(yield_per=batch))
    try:
        for row in result:
            if row.seq != expected_seq:
                return Verification(False, count, prev, expected_seq, f"record {expected_seq} is missing")
            if row.prev_hash != prev:
                return Verification(False, count, prev, row.seq, "link to the previous record is broken")
            is_keyed = keyed_from is not None and row.seq >= keyed_from
            if is_keyed and key is None:
                key = current_key()
            if not hmac.compare_digest(record_hash(row, key if is_keyed else None), row.hash):
                hint = " (or not made with this audit key: is ECRF_AUDIT_KEY the chain's?)" \
                    if is_keyed and row.seq == keyed_from else ""
                return Verification(False, count, prev, row.seq, f"content does not match its hash{hint}")
            if row.entity == "item_data" and row.entity_id is not None:
                last_item[row.entity_id] = (row.action, row.new_value, row.subject_key, row.event_oid,
                                            row.form_oid, row.item_oid)
            prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    finally:
        result.close()  # a server-side cursor on PostgreSQL
    legacy = min(count, keyed_from - 1) if keyed_from is not None else count
    if stored_head is None or stored_head.seq != count or stored_head.hash != prev:
        return Verification(False, count, prev, count + 1 if stored_head and stored_head.seq > count else count,
                            "chain head does not match the last record", legacy)
    if keyed_from is not None and count >= keyed_from and (
            stored_head.mac is None or not hmac.compare_digest(head_mac(count, prev, key), stored_head.mac)):
        return Verification(False, count, prev, count, "the chain head's MAC does not match it", legacy)
    found = mismatches(connection, last_item)
    return Verification(not found, count, prev, None, "item values differ from their audit trail" if found else "",
                        legacy, found)
