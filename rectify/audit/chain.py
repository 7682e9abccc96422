"""The hash chain over the audit events: what is hashed, and appending under one lock.

Each event's `hash` is SHA-256 over the previous event's hash and the event's canonical content:
every stored field but the database id and the chain fields themselves (`HASHED_FIELDS`), as
JSON with sorted keys, times in UTC to the microsecond. `seq` is not hashed: the links give the
order, so a moved row shows as a broken link with its own content intact (verify.py tells the
two apart).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import connection, transaction

from .models import GENESIS, AuditChainHead, AuditEvent

# Every stored field of AuditEvent is here or in UNHASHED_FIELDS; a test fails on a new field
# that is in neither, so a column added later cannot escape the chain by accident.
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "parent_type",
    "parent_id",
    "before",
    "after",
    "note",
)
UNHASHED_FIELDS = ("id", "seq", "prev_hash", "hash")
HEAD_PK = 1
FORMAT = 1


def plain(value: Any) -> Any:
    """A JSON value as every database gives it back: string keys, lists, and a whole float as
    an int (PostgreSQL's jsonb prints 1e20 as 100000000000000000000)."""
    kind = type(value)  # exact types: this runs for every event verified
    if kind is dict:
        return {k if type(k) is str else str(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if kind is float and value.is_integer():
        return int(value)
    return value


def stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(row: dict[str, Any]) -> str:
    """The content of one event (a dict with HASHED_FIELDS) as the string that is hashed."""
    content = {name: row[name] for name in HASHED_FIELDS}
    content["at"] = stamp(row["at"])
    content["before"] = plain(row["before"])
    content["after"] = plain(row["after"])
    content["v"] = FORMAT
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(row)}".encode()).hexdigest()


def _head_table() -> str:
    return connection.ops.quote_name(AuditChainHead._meta.db_table)


def _locked_head() -> tuple[int, str]:
    """The head's (seq, hash), locked until the transaction ends. Plain SQL: this runs for every
    audited change, and the ORM's query building costs more than the query."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {_head_table()} WHERE id = %s{lock}", [HEAD_PK])  # noqa: S608
        row = cursor.fetchone()
    if row is not None:
        return int(row[0]), str(row[1])
    # Only after a flush (tests) or by hand: start again from the last event there is.
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    start = last or {"seq": 0, "hash": GENESIS}
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(pk=HEAD_PK, seq=start["seq"], hash=start["hash"])], ignore_conflicts=True
    )
    head = AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
    return head.seq, head.hash


def chain_append(**fields: Any) -> AuditEvent:
    """Write one event at the end of the chain. The head stays locked until the caller's
    transaction ends, so a rolled-back event takes its number back with it (gapless). No
    savepoint of its own: a failure here fails the caller's transaction, as any write would."""
    for name in ("before", "after"):
        if fields.get(name) is not None:
            fields[name] = plain(json.loads(json.dumps(fields[name])))
    with transaction.atomic(savepoint=False):
        seq, prev = _locked_head()
        event = AuditEvent(seq=seq + 1, prev_hash=prev, **fields)
        event.hash = event_hash(prev, {name: getattr(event, name) for name in HASHED_FIELDS})
        event.save(force_insert=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_head_table()} SET seq = %s, hash = %s WHERE id = %s",  # noqa: S608
                [event.seq, event.hash, HEAD_PK],
            )
    return event
