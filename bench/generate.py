"""Province-scale synthetic data: 11 cities × their counties, N measures (default 100k).

Used by the benchmarks only. Data is built with bulk_create straight into the tables (the
benchmarks measure reads, not the importer).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction

from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans import search_index
from rectify.plans.models import Assignment, Chapter, DeadlineKind, Measure, Plan, Problem

CITIES = ["太原", "大同", "阳泉", "长治", "晋城", "朔州", "晋中", "运城", "忻州", "临汾", "吕梁"]
DEPARTMENTS = ["生态环境局", "发改委", "工信局", "自然资源局", "住建局", "交通局", "水利局", "能源局", "城市管理局"]
KINDS = [
    (DeadlineKind.DATE, 0.6),
    (DeadlineKind.IMMEDIATE_ONGOING, 0.2),
    (DeadlineKind.ANNUAL, 0.05),
    (DeadlineKind.SCHEDULED, 0.05),
    (DeadlineKind.EXTERNAL, 0.05),
    (DeadlineKind.COMPOUND, 0.05),
]


_SHARE_STATUS = {"in_progress": "in_progress", "closed": "closed", "completed": "completed", "ongoing": "ongoing"}
_LEVEL_ORDER = {"red": 0, "yellow": 1, "green": 2, "": 3}


def _level(rng: random.Random, status: str) -> str:
    if status != "in_progress":
        return "green"
    return rng.choices(["red", "yellow", "green"], [0.15, 0.2, 0.65])[0]


def _unit(name: str, kind: str, parent: OrgUnit | None, n: int) -> OrgUnit:
    path = (parent.path if parent else "") + f"{n:04d}."
    return OrgUnit.objects.create(name=name, kind=kind, parent=parent, path=path, depth=path.count(".") - 1)


@transaction.atomic
def generate(measures: int = 100_000, seed: int = 7, levels: bool = False) -> dict[str, Any]:
    """Units, plans, problems, measures and their shares. Each share carries the measure's due date
    and a status matching the measure's (what the importer writes); with `levels`, measures and
    shares also get warning levels (as if scanned), for the benchmarks that read the board."""
    rng = random.Random(seed)
    province = _unit("山西省", "region", None, 1)
    all_units: list[tuple[OrgUnit, OrgUnit]] = []  # (unit, its county or city region)
    n = 0
    for ci, city in enumerate(CITIES, start=1):
        region = _unit(f"{city}市", "region", province, ci)
        office = _unit(f"{city}市整改办", "office", region, 1)
        for di, dept in enumerate(DEPARTMENTS, start=2):
            all_units.append((_unit(f"{city}市{dept}", "department", region, di), region))
        for k in range(1, 11):
            county = _unit(f"{city}第{k}县", "region", region, 20 + k)
            all_units.append((_unit(f"{city}第{k}县党委", "party", county, 1), county))
            all_units.append((_unit(f"{city}第{k}县政府", "government", county, 2), county))
        n += 1
        del office
    plans_per_city = 1
    per_plan = measures // (len(CITIES) * plans_per_city)
    start = dt.date(2022, 2, 25)
    created = 0
    for ci, city in enumerate(CITIES):
        plan = Plan.objects.create(title=f"{city}市整改方案（合成）", start_on=start, fingerprint=f"bench-{seed}-{ci}")
        chapters = [Chapter.objects.create(plan=plan, number=str(i), index=i, title=f"第{i}章") for i in range(1, 5)]
        city_units = [u for u, r in all_units if u.name.startswith(city)]
        problems_count = max(1, per_plan // 3)
        problems = Problem.objects.bulk_create(
            [
                Problem(
                    plan=plan,
                    chapter=chapters[i % 4],
                    number=str(i + 1),
                    index=i + 1,
                    text=f"合成问题 {city} {i + 1}：扬尘污染治理不到位",
                    goal="全部整改到位",
                    deadline_kind="date",
                    deadline_raw="2022年12月底",
                    due_on=dt.date(2022, 12, 31),
                )
                for i in range(problems_count)
            ],
            batch_size=2000,
        )
        rows: list[Measure] = []
        for p in problems:
            for s in range(1, 4):
                kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
                due = start + dt.timedelta(days=rng.randint(30, 1400)) if kind == DeadlineKind.DATE else None
                rows.append(
                    Measure(
                        problem=p,
                        number=str(s),
                        seq=s,
                        text=f"措施 {s}：加强巡查，限期整改，建立台账",
                        deadline_kind=kind,
                        deadline_raw="合成",
                        due_on=due,
                        status=rng.choices(["in_progress", "closed", "completed"], [0.7, 0.2, 0.1])[0],
                    )
                )
        Measure.objects.bulk_create(rows, batch_size=5000)
        created += len(rows)
        measure_rows = list(
            Measure.objects.filter(problem__plan=plan).values_list("id", "problem_id", "due_on", "status")
        )
        assignments: list[Assignment] = []
        by_level: dict[str, list[int]] = {}
        for mid, pid, due, status in measure_rows:
            share_levels = [_level(rng, status) if levels else "" for _ in range(3)]
            worst = min(share_levels, key=lambda lv: _LEVEL_ORDER.get(lv, 9)) if levels else ""
            by_level.setdefault(worst, []).append(mid)
            for unit, level in zip(rng.sample(city_units, 3), share_levels, strict=True):
                assignments.append(
                    Assignment(
                        problem_id=pid,
                        measure_id=mid,
                        unit=unit,
                        phrase=unit.name,
                        role="lead" if not assignments or rng.random() < 0.6 else "support",
                        due_on=due,
                        status=_SHARE_STATUS[status],
                        warning_level=level,
                    )
                )
        for level, ids in by_level.items():
            if level:
                for i in range(0, len(ids), 900):
                    Measure.objects.filter(pk__in=ids[i : i + 900]).update(warning_level=level)
        for pid in {pid for _, pid, _, _ in measure_rows}:
            for unit in rng.sample(city_units, 3):
                assignments.append(Assignment(problem_id=pid, unit=unit, phrase=unit.name, role="lead"))
        Assignment.objects.bulk_create(assignments, batch_size=10000)
    search_index.reindex()  # bulk_create bypasses the writer: the text index in one pass
    return {"units": OrgUnit.objects.count(), "measures": created}


def make_users() -> dict[str, Any]:
    from django.contrib.auth.models import User

    province = OrgUnit.objects.get(depth=0)
    county_gov = OrgUnit.objects.filter(kind="government").order_by("path")[5]
    coordinator, _ = User.objects.get_or_create(username="bench_coordinator")
    clerk, _ = User.objects.get_or_create(username="bench_clerk")
    Membership.objects.get_or_create(user=coordinator, unit=province, role=Role.COORDINATOR)
    Membership.objects.get_or_create(user=clerk, unit=county_gov, role=Role.CLERK)
    return {"coordinator": coordinator, "clerk": clerk}
