"""Deliver queued notification mail (the scan does this too; this is for a retry by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rectify.notifications.services import send_pending


class Command(BaseCommand):
    help = "发送待发送的通知邮件"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已发送 {send_pending()} 封邮件。")
