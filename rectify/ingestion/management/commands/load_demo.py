"""rectify load_demo [--password P]: directory, demo users for every role, the seed plan."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rectify.demo.publish import demo_publish
from rectify.ingestion.demo import DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "加载演示数据：单位目录、各角色演示账号、导入朔州市整改方案"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="为所有演示账号设置该密码（默认随机生成并只打印一次）")

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(password=options.get("password"))
        plan = result["plan"]
        demo_publish(plan)  # type: ignore[arg-type]  # 信息公开: the seed plan is public in the demo, once
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪：方案“{plan}”。"))
        credentials: dict[str, str] = result["credentials"]  # type: ignore[assignment]
        if credentials:
            self.stdout.write("演示账号（密码只显示这一次）：")
            for spec in DEMO_USERS:
                if spec.username in credentials:
                    self.stdout.write(
                        f"  {spec.description:<16} 用户名 {spec.username:<14} 密码 {credentials[spec.username]}"
                    )
        else:
            self.stdout.write("演示账号已存在，密码未改变（如需重置：rectify load_demo --password 新密码）。")
