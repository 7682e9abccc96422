from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rectify.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from rectify.audit.models import ACTION_LABELS

        from . import signals

        signals.connect()
        # What the audit log calls the events this app records (the codes stay in the log).
        for action, label in ACTION_LABELS_ACCOUNTS.items():
            ACTION_LABELS.setdefault(action, label)


ACTION_LABELS_ACCOUNTS = {
    "accounts.login": "登录",
    "accounts.login_failed": "登录失败",
    "accounts.logout": "退出登录",
    "accounts.otp_verified": "通过双因素认证",
    "accounts.otp_failed": "双因素验证码错误",
    "accounts.otp_enrolled": "绑定身份验证器",
    "accounts.otp_reset": "重置双因素认证",
    "accounts.password_changed": "修改密码",
    "accounts.password_reset": "重置密码（临时密码）",
    "accounts.lockout_released": "解除登录锁定",
    "accounts.token_issued": "签发 API 令牌",
    "accounts.token_revoked": "吊销 API 令牌",
    "accounts.user_created": "新建账号",
    "accounts.user_changed": "修改账号",
    "orgs.membership_granted": "授予业务岗位",
    "orgs.membership_changed": "调整业务岗位",
    "orgs.membership_revoked": "撤销业务岗位",
}
