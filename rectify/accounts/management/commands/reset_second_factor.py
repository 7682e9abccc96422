"""Recovery of an administrator's second factor from the server (the system administrator resets
business users' in /sysadmin/; nobody resets their own or another administrator's there)."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.accounts.services import otp_reset_by_command


class Command(BaseCommand):
    help = "删除某账号绑定的身份验证器（双因素认证），下次登录时重新绑定；记入审计日志。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"账号 {username} 不存在。")
        try:
            operator = getpass.getuser()
        except (KeyError, OSError):
            operator = "unknown"
        removed = otp_reset_by_command(target=user, operator=operator)
        self.stdout.write(f"已重置 {username} 的双因素认证（删除 {removed} 个验证器）；下次登录时须重新绑定。")
