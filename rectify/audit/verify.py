"""Verifying the audit chain: re-hash every event in order and name the first broken link.

What each kind of tampering looks like, walking the events by `seq` from the genesis:
- an edited row (any hashed field, its `prev_hash` or its `hash`): its content no longer gives
  its hash — "modified";
- a deleted row: the numbers jump — "missing" at the next row; the last row deleted: the head
  names a number no row has;
- a forged row: a number repeated or out of the chain, a row past the head, or (the rows after
  it renumbered) a row followed by one written right after the row before it — "inserted";
- rows swapped or moved: a row whose content is intact but whose `prev_hash` is not the previous
  row's hash — "reordered" (it names the row it was written after); when no row has that hash,
  the rows before it were deleted and the rest renumbered — "missing".
The head must match the last row, and a row a past verification recorded (an anchor) must still
have the hash it had then: a chain rewritten consistently after the anchor shows there.

`check_rows` is pure (rows in, first break out); `chain_verify` reads the database in chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from .chain import HASHED_FIELDS, HEAD_PK, event_hash
from .models import GENESIS, AuditChainHead, AuditEvent, AuditVerification

ROW_FIELDS = ("id", "seq", "prev_hash", "hash", *HASHED_FIELDS)
CHUNK = 2000


@dataclass(frozen=True)
class Break:
    """The first broken link: where (number and database id of the row) and what is wrong."""

    seq: int
    event_id: int | None
    kind: str  # modified, missing, inserted, reordered, head, anchor
    message: str


@dataclass(frozen=True)
class Result:
    events: int  # rows checked
    head_seq: int
    head_hash: str
    first_break: Break | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.first_break is None

    def summary(self) -> str:
        if self.first_break is None:
            return f"留痕链完整：共校验 {self.events} 条，链头为第 {self.head_seq} 条（{self.head_hash[:16]}…）。"
        return f"留痕链断裂，第一个断点：{self.first_break.message}"


@dataclass
class Position:
    """Where the walk is: the last good row's number and hash, rows checked so far."""

    seq: int = 0
    hash: str = GENESIS
    checked: int = 0
    event_id: int | None = None


def _where(row: Any) -> str:
    return f"第 {row['seq']} 条（id {row['id']}）"


def check_rows(
    rows: Iterable[dict[str, Any]],
    at: Position,
    *,
    written_after: Callable[[str], int | None] = lambda _h: None,
    anchors: dict[int, str] | None = None,
) -> Break | None:
    """Walk `rows` (ordered by seq, then id) from `at`, which is moved along; the first break.

    `written_after(hash)` gives the number of the row with that hash (to tell a moved row from a
    forged one); `anchors` maps numbers to the hashes a past verification saw."""
    anchors = anchors or {}
    for row in rows:
        expected = at.seq + 1
        if row["seq"] < expected:
            return Break(
                row["seq"],
                row["id"],
                "inserted",
                f"{_where(row)}的序号重复或不在链中（应为第 {expected} 条）：插入了伪造的记录。",
            )
        if row["seq"] > expected:
            gone = f"第 {expected} 条" if row["seq"] == expected + 1 else f"第 {expected}–{row['seq'] - 1} 条"
            return Break(row["seq"], row["id"], "missing", f"{_where(row)}之前缺少{gone}：记录被删除。")
        if event_hash(row["prev_hash"], row) != row["hash"]:
            return Break(row["seq"], row["id"], "modified", f"{_where(row)}的内容与其哈希不符：该条写入后被修改。")
        if row["prev_hash"] != at.hash:
            return _unlinked(row, at, written_after(row["prev_hash"]))
        if anchors.get(row["seq"], row["hash"]) != row["hash"]:
            return Break(
                row["seq"],
                row["id"],
                "anchor",
                f"{_where(row)}的哈希与此前校验时记下的不同：此后的记录被整体重写。",
            )
        at.seq, at.hash, at.event_id = row["seq"], row["hash"], row["id"]
        at.checked += 1
    return None


def _unlinked(row: dict[str, Any], at: Position, origin: int | None) -> Break:
    """A row intact in itself that does not follow the previous one: what happened to it."""
    seq, event_id, where = row["seq"], row["id"], _where(row)
    if origin is None:
        return Break(
            seq,
            event_id,
            "missing",
            f"{where}内容完整，但它所接的前一条记录已不存在：前面的记录被删除后重新编号（或此条为伪造）。",
        )
    if origin == at.seq - 1:
        return Break(
            seq,
            event_id,
            "inserted",
            f"{where}原本紧接在第 {origin} 条之后：其间的第 {at.seq} 条（id {at.event_id}）是插入的伪造记录。",
        )
    return Break(
        seq,
        event_id,
        "reordered",
        f"{where}内容完整，但与前一条不相连：记录顺序被调换（此条原本紧接在第 {origin} 条之后）。",
    )


def _rows(start_after: int, upto: int) -> Iterator[dict[str, Any]]:
    """Rows with start_after < seq <= upto (and any number below 1 in a full walk), in chunks
    that grow: a break near the start costs a few rows, a whole walk few queries."""
    low = start_after if start_after > 0 else None
    if low is None:
        yield from AuditEvent.objects.filter(seq__lt=1).order_by("seq", "id").values(*ROW_FIELDS)
        low = 0
    size = 64
    while low < upto:
        high = min(low + size, upto)
        yield from AuditEvent.objects.filter(seq__gt=low, seq__lte=high).order_by("seq", "id").values(*ROW_FIELDS)
        low, size = high, min(size * 4, CHUNK)


def _written_after(prev_hash: str) -> int | None:
    if prev_hash == GENESIS:
        return 0
    return AuditEvent.objects.filter(hash=prev_hash).values_list("seq", flat=True).first()


def _head() -> tuple[int, str] | None:
    return AuditChainHead.objects.filter(pk=HEAD_PK).values_list("seq", "hash").first()


def chain_verify(*, start_after: int = 0, upto: int | None = None, anchors: dict[int, str] | None = None) -> Result:
    """Verify the chain from the genesis, or from a trusted row (`start_after`, its stored hash
    taken as is), to the head (or to row `upto` only: then the head is not checked). Events
    appended while it runs are left for the next run."""
    started = time.monotonic()
    head = _head()
    if head is None:
        top = AuditEvent.objects.aggregate(m=Max("seq"))["m"]
        found = None
        if top is not None:
            found = Break(top, None, "head", "留痕链头缺失：无法确认末尾的记录是否完整。")
        return Result(0, 0, GENESIS, found, time.monotonic() - started)
    head_seq, head_hash = head
    at = Position()
    if start_after > 0:
        at.seq = start_after
        at.hash = AuditEvent.objects.filter(seq=start_after).values_list("hash", flat=True).first() or GENESIS
    if upto is not None and upto < head_seq:
        found = check_rows(_rows(start_after, upto), at, written_after=_written_after, anchors=anchors)
        if found is None and at.seq < upto:
            found = Break(upto, None, "missing", f"第 {upto} 条缺失：记录被删除。")
        return Result(at.checked, head_seq, head_hash, found, time.monotonic() - started)
    found = check_rows(_rows(start_after, head_seq), at, written_after=_written_after, anchors=anchors)
    if found is None and at.seq < head_seq:
        gone = f"第 {at.seq + 1} 条" if at.seq + 1 == head_seq else f"第 {at.seq + 1}–{head_seq} 条"
        found = Break(
            head_seq, None, "missing", f"链头登记到第 {head_seq} 条，最后一条却是第 {at.seq} 条：末尾的{gone}被删除。"
        )
    if found is None and at.hash != head_hash:
        found = Break(head_seq, None, "head", f"链头的哈希与第 {head_seq} 条不符：链头被改动。")
    if found is None:
        found = _past_head(head_seq)
    return Result(at.checked, head_seq, head_hash, found, time.monotonic() - started)


def _past_head(head_seq: int) -> Break | None:
    """A row numbered past the head that no writer registered. The head is read again after the
    rows: an event appended meanwhile moved the head in the same transaction as its row."""
    beyond = list(AuditEvent.objects.filter(seq__gt=head_seq).order_by("seq", "id").values("id", "seq")[:50])
    if not beyond:
        return None
    now = _head()
    registered = now[0] if now else head_seq
    for row in beyond:
        if row["seq"] > registered:
            return Break(
                row["seq"],
                row["id"],
                "inserted",
                f"{_where(row)}在链头（第 {registered} 条）之后，未经正常写入：插入了伪造的记录。",
            )
    return None


def last_anchor() -> dict[int, str]:
    """The head the last intact verification saw: its row must keep that hash."""
    last = AuditVerification.objects.filter(ok=True, head_seq__gt=0).order_by("-id").first()
    return {last.head_seq: last.head_hash} if last else {}
