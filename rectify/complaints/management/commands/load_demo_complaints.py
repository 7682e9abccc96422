"""rectify load_demo_complaints: a synthetic batch of 120 交办件 (第3批) imported through the real
import, attached to problem （十八）, so the demo shows complaint handling (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from rectify.complaints import importing, services
from rectify.complaints.models import ComplaintBatch
from rectify.complaints.synthetic import batch_file
from rectify.plans.models import Problem


class Command(BaseCommand):
    help = "加载演示交办件（合成数据，第3批120件，关联问题（十八））"

    def handle(self, *args: Any, **options: Any) -> None:
        if ComplaintBatch.objects.filter(batch_no=3).exists():
            self.stdout.write("演示交办件已存在。")
            return
        office = User.objects.filter(username="city_office").first()
        if office is None:
            raise CommandError("请先运行 rectify load_demo。")
        name, data = batch_file(120, batch_no=3)
        job = importing.case_import_prepare(actor=office, data=data, filename=name)
        batch = importing.case_import_commit(
            actor=office, job=job, problem=Problem.objects.filter(number="十八").first()
        )
        services.batch_publish(actor=office, batch=batch)
        self.stdout.write(self.style.SUCCESS(f"演示交办件已导入：{batch}，{batch.cases.count()} 件。"))
