"""The tamper-evident audit trail: every event is chained by its hash; editing, deleting,
inserting or reordering any single row afterwards is found, at the right first broken link."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F, Max

from rectify.audit.chain import HASHED_FIELDS, UNHASHED_FIELDS, event_hash
from rectify.audit.models import GENESIS, AuditChainHead, AuditEvent, AuditVerification
from rectify.audit.services import audit_verify_daily, record
from rectify.audit.verify import Position, chain_verify, check_rows
from rectify.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db

TAMPERINGS = 1000
CHAIN = 2500
ACTIONS = ["plan.imported", "report.submitted", "closeout.accepted", "unit.renamed", "auth.login"]


def build_chain(n: int, users: dict[str, User]) -> None:
    """n more events through record(), as the services write them."""
    rng = random.Random(7)
    people = list(users.values())
    units = list(OrgUnit.objects.all()[:20])
    with transaction.atomic():
        for i in range(n):
            unit = rng.choice(units)
            record(
                actor=rng.choice([*people, "系统"]),
                action=rng.choice(ACTIONS),
                obj=unit,
                parent=rng.choice([None, units[0]]),
                before=rng.choice([None, {"name": unit.name, "n": i}]),
                after={"name": f"{unit.name}{i}", "progress": rng.random() * 100, "whole": 3.0, "list": [1, "二"]},
                note=rng.choice(["", f"说明：第 {i} 条"]),
            )


def head() -> int:
    return AuditChainHead.objects.get().seq


def row_at(seq: int) -> dict[str, Any]:
    return AuditEvent.objects.filter(seq=seq).values().get()


def test_every_stored_field_is_hashed_or_part_of_the_chain_itself() -> None:
    stored = {f.attname for f in AuditEvent._meta.concrete_fields}
    assert stored == set(HASHED_FIELDS) | set(UNHASHED_FIELDS)


def test_a_written_chain_is_gapless_and_verifies(users: Any) -> None:
    build_chain(50, users)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert head() == len(seqs) == AuditEvent.objects.count()
    result = chain_verify()
    assert result.ok and result.events == AuditEvent.objects.count()


def test_a_rolled_back_event_gives_its_number_back(users: Any) -> None:
    before = head()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=users["city_office"], action="unit.renamed", obj=OrgUnit.objects.first())
        raise RuntimeError("rollback")
    event = record(actor=users["city_office"], action="unit.renamed", obj=OrgUnit.objects.first())
    assert event.seq == before + 1 and chain_verify().ok


def test_the_stored_json_and_time_hash_the_same_after_a_round_trip(users: Any) -> None:
    event = record(
        actor=users["auditor"],
        action="unit.renamed",
        obj=OrgUnit.objects.first(),
        before={2: (1, 2), "b": {"z": 1.0, "a": 1e20}},
        after={"x": 0.1, "y": [True, None, "文字\n"]},
    )
    fresh = AuditEvent.objects.values(*HASHED_FIELDS).get(pk=event.pk)
    assert event_hash(event.prev_hash, fresh) == event.hash


# --- 1,000 tamperings ------------------------------------------------------------------------------


Tampering = tuple[Any, int, tuple[int, int | None, str]]  # restore, first row touched, expected break


def edit(rng: random.Random, n: int, users: dict[str, User]) -> Tampering:
    """Change one field of one row in the database (ORM update or raw SQL)."""
    k = rng.randint(1, n)
    row = row_at(k)
    name = rng.choice([*HASHED_FIELDS, "prev_hash", "hash"])
    old = row[name]
    if name == "at":
        new: Any = old - dt.timedelta(seconds=rng.randint(1, 86400))
    elif name == "actor_id":
        new = rng.choice([u.pk for u in users.values() if u.pk != old])
    elif name in ("before", "after"):
        new = {"tampered": rng.randint(0, 9)} if old is None else {**old, "tampered": True}
    elif name in ("prev_hash", "hash"):
        new = "f" * 64 if old != "f" * 64 else "e" * 64
    else:
        new = (old or "")[:-1] + ("改" if not (old or "").endswith("改") else "动")
    if name in ("note", "actor_label", "object_repr") and rng.random() < 0.5:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE audit_auditevent SET {name} = %s WHERE id = %s", [new, row["id"]])
    else:
        AuditEvent.objects.filter(pk=row["id"]).update(**{name: new})

    def restore() -> None:
        AuditEvent.objects.filter(pk=row["id"]).update(**{name: old})

    return restore, k, (k, row["id"], "modified")


def delete(rng: random.Random, n: int, users: dict[str, User]) -> Tampering:
    k = rng.randint(1, n)
    row = row_at(k)
    if rng.random() < 0.5:
        AuditEvent.objects.filter(pk=row["id"]).delete()
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row["id"]])

    def restore() -> None:
        AuditEvent.objects.bulk_create([AuditEvent(**row)])

    if k == n:
        return restore, k, (n, None, "missing")
    return restore, k, (k + 1, row_at(k + 1)["id"], "missing")


def insert(rng: random.Random, n: int, users: dict[str, User]) -> Tampering:
    """A forged row, as well made as a forger can: numbered after the last, linked to its hash,
    its own hash right (or, sometimes, a number left out or a made-up hash)."""
    last = row_at(n)
    seq = n + 1 if rng.random() < 0.7 else n + rng.randint(2, 5)
    fields = {
        "at": last["at"] - dt.timedelta(days=rng.randint(1, 60)),
        "actor_id": rng.choice(list(users.values())).pk,
        "actor_label": "伪造",
        "action": "closeout.accepted",
        "object_type": "plans.problem",
        "object_id": str(rng.randint(1, 99)),
        "object_repr": "伪造的验收",
        "parent_type": "",
        "parent_id": "",
        "before": None,
        "after": {"status": "closed"},
        "note": "",
    }
    digest = event_hash(last["hash"], fields) if rng.random() < 0.8 else "a" * 64
    forged = AuditEvent.objects.create(seq=seq, prev_hash=last["hash"], hash=digest, **fields)

    def restore() -> None:
        AuditEvent.objects.filter(pk=forged.pk).delete()

    return restore, n, (seq, forged.pk, "inserted")


def swap(rng: random.Random, n: int, users: dict[str, User]) -> Tampering:
    """Two rows change places in the chain's order (their numbers are exchanged)."""
    a = rng.randint(1, n - 1)
    b = min(n, a + rng.choice([1, 2, rng.randint(1, 40), rng.randint(1, n)]))
    id_a, id_b = row_at(a)["id"], row_at(b)["id"]

    def exchange() -> None:
        AuditEvent.objects.filter(pk=id_a).update(seq=10**12)
        AuditEvent.objects.filter(pk=id_b).update(seq=a)
        AuditEvent.objects.filter(pk=id_a).update(seq=b)

    exchange()

    def restore() -> None:
        AuditEvent.objects.filter(pk=id_a).update(seq=10**12)
        AuditEvent.objects.filter(pk=id_b).update(seq=b)
        AuditEvent.objects.filter(pk=id_a).update(seq=a)

    return restore, a, (a, id_b, "reordered")


def test_one_thousand_single_row_tamperings_are_each_found_at_the_first_broken_link(users: Any) -> None:
    build_chain(CHAIN, users)
    n = head()
    assert chain_verify().ok
    rng = random.Random(14)
    kinds = [edit, delete, insert, swap]
    found: dict[str, int] = {}
    full_runs, full_seconds = 0, 0.0
    for i in range(TAMPERINGS):
        tamper = kinds[i % 4]
        restore, touched, (seq, event_id, kind) = tamper(rng, n, users)
        # The walk from a row before the tampered one (trusted as a past verification would)…
        start = max(0, touched - 1 - rng.randint(0, 40))
        result = chain_verify(start_after=start)
        fb = result.first_break
        assert fb is not None, f"tampering {i} ({tamper.__name__} at {seq}) not found"
        assert (fb.seq, fb.event_id, fb.kind) == (seq, event_id, kind), (i, tamper.__name__, fb)
        assert f"第 {seq} 条" in fb.message and (event_id is None or f"id {event_id}" in fb.message)
        # …and the full walk from the genesis, for every tenth tampering, finds the same link.
        if i % 10 == 0:
            full = chain_verify()
            full_runs += 1
            full_seconds += full.seconds
            assert full.first_break == fb
        restore()
        found[kind] = found.get(kind, 0) + 1
        assert chain_verify(start_after=start, upto=min(n, touched + 50)).ok, f"restoring tampering {i} failed"
    assert sum(found.values()) == TAMPERINGS
    assert found == {kind: TAMPERINGS // 4 for kind in ("modified", "missing", "inserted", "reordered")}
    assert chain_verify().ok
    print(f"\n{TAMPERINGS} tamperings found; full verification of {n} events: {full_seconds / full_runs:.3f} s")


def test_a_row_numbered_below_the_chain_is_found_by_the_full_walk(users: Any) -> None:
    build_chain(10, users)
    AuditEvent.objects.create(
        seq=0, prev_hash=GENESIS, hash="b" * 64, at=dt.datetime(2022, 1, 1, tzinfo=dt.UTC), action="x", object_type="t"
    )
    fb = chain_verify().first_break
    assert fb is not None and (fb.seq, fb.kind) == (0, "inserted")


def test_a_repeated_number_is_a_forged_row() -> None:
    """The unique constraint stops it; a forger who drops the constraint is still found."""
    rows = []
    prev = GENESIS
    base = {name: "" for name in HASHED_FIELDS}
    for seq in (1, 2, 3):
        row = {**base, "at": dt.datetime(2022, 1, seq, tzinfo=dt.UTC), "actor_id": None, "before": None, "after": None}
        row.update(id=seq, seq=seq, prev_hash=prev, hash=event_hash(prev, row))
        prev = row["hash"]
        rows.append(row)
    forged = {**rows[1], "id": 99, "note": "伪造"}
    forged["hash"] = event_hash(forged["prev_hash"], forged)
    fb = check_rows([rows[0], rows[1], forged, rows[2]], Position())
    assert fb is not None and (fb.seq, fb.event_id, fb.kind) == (2, 99, "inserted")


def test_inserting_in_the_middle_by_renumbering_breaks_the_link_after_the_forged_row(users: Any) -> None:
    build_chain(30, users)
    n = head()
    k = n - 10
    for seq in range(n, k - 1, -1):
        AuditEvent.objects.filter(seq=seq).update(seq=seq + 1)
    prev = row_at(k - 1)
    fields = {name: prev[name] for name in HASHED_FIELDS} | {"note": "伪造"}
    AuditEvent.objects.create(seq=k, prev_hash=prev["hash"], hash=event_hash(prev["hash"], fields), **fields)
    AuditChainHead.objects.update(seq=n + 1)
    fb = chain_verify().first_break
    assert fb is not None and (fb.seq, fb.kind) == (k + 1, "inserted")


def test_a_rewritten_tail_is_found_at_the_last_verified_head(users: Any) -> None:
    """Rewriting every hash after an edit (and the head) makes the chain consistent again: the
    head the last verification recorded no longer matches."""
    build_chain(20, users)
    call_command("audit_verify")
    anchor = AuditVerification.objects.latest("at")
    k = anchor.head_seq - 5
    AuditEvent.objects.filter(seq=k).update(note="改写")
    prev = row_at(k - 1)["hash"]
    for seq in range(k, anchor.head_seq + 1):
        row = row_at(seq)
        digest = event_hash(prev, row)
        AuditEvent.objects.filter(seq=seq).update(prev_hash=prev, hash=digest)
        prev = digest
    AuditChainHead.objects.update(hash=prev)
    with pytest.raises(CommandError):
        call_command("audit_verify")
    last = AuditVerification.objects.latest("at")
    assert not last.ok and (last.broken_seq, last.broken_kind) == (anchor.head_seq, "anchor")


def test_the_command_records_its_result_and_fails_on_a_break(users: Any, capsys: Any) -> None:
    build_chain(5, users)
    call_command("audit_verify")
    ok = AuditVerification.objects.latest("at")
    assert ok.ok and ok.events == AuditEvent.objects.count() and ok.head_seq == head()
    # Idempotent: the chain is not written to by verifying.
    call_command("audit_verify")
    assert AuditEvent.objects.aggregate(m=Max("seq"))["m"] == ok.head_seq
    target = row_at(3)
    AuditEvent.objects.filter(pk=target["id"]).update(actor_label="别人")
    with pytest.raises(CommandError) as exc:
        call_command("audit_verify")
    assert exc.value.returncode == 1
    bad = AuditVerification.objects.latest("at")
    assert not bad.ok and bad.broken_seq == 3 and bad.broken_id == target["id"] and bad.broken_kind == "modified"
    assert f"第 3 条（id {target['id']}）的内容与其哈希不符" in bad.message
    assert audit_verify_daily(today=None)[0].broken_seq == 3


def test_deleting_an_account_leaves_its_audit_rows_as_written(users: Any) -> None:
    temp = User.objects.create(username="temp_user", first_name="临时")
    event = record(actor=temp, action="unit.renamed", obj=OrgUnit.objects.first())
    temp.delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_id == event.actor_id
    assert chain_verify().ok


def _in_thread(func: Any) -> Any:
    """Run `func` on a connection of its own, committed (the test's own transaction rolls back)."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(func())
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0] if out else None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
def test_eight_concurrent_writers_never_link_to_the_same_event(users: Any) -> None:
    """8 threads on their own connections append 40 events each, every seventh rolled back: the
    committed events are numbered exactly start+1…start+N and the chain verifies."""
    unit = OrgUnit.objects.order_by("pk").first()
    assert unit is not None
    start, start_hash = _in_thread(lambda: AuditChainHead.objects.values_list("seq", "hash").get())
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(40):
                try:
                    with transaction.atomic():
                        record(actor="系统", action="unit.renamed", obj=unit, after={"writer": n, "i": i})
                        time.sleep(0.001)
                        if i % 7 == 0:
                            raise RuntimeError("rolled back")
                except RuntimeError:
                    pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def check() -> tuple[int, list[int], Any]:
        seqs = list(AuditEvent.objects.filter(seq__gt=start).order_by("seq").values_list("seq", flat=True))
        return head(), seqs, chain_verify(start_after=start)

    def cleanup() -> None:
        AuditEvent.objects.filter(seq__gt=start).delete()
        AuditChainHead.objects.update(seq=start, hash=start_hash)

    try:
        now, seqs, result = _in_thread(check)
    finally:
        _in_thread(cleanup)
    assert not errors
    committed = 8 * sum(1 for i in range(40) if i % 7)
    assert now == start + committed
    assert seqs == list(range(start + 1, start + committed + 1))
    assert result.ok and result.events == committed


def test_the_migration_numbers_and_chains_existing_events_in_id_order(users: Any) -> None:
    import importlib

    from django.apps import apps

    build_chain(20, users)
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    # As before the migration: no numbers (shifted out of the way here), no hashes, no head.
    AuditEvent.objects.update(seq=F("seq") + 10**9, prev_hash="", hash="")
    AuditChainHead.objects.all().delete()
    migration = importlib.import_module("rectify.audit.migrations.0002_audit_hash_chain")
    migration.backfill(apps, None)
    assert list(AuditEvent.objects.order_by("seq").values_list("pk", flat=True)) == ids
    assert head() == len(ids)
    result = chain_verify()
    assert result.ok and result.events == len(ids)
