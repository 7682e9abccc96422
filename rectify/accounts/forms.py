"""The forms of the account pages, with Chinese messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from rectify.orgs.models import Role

from .services import temporary_password_expired

TOKEN_DAYS = [30, 90, 180, 365]


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。",
        "inactive": "该账号已停用，请联系系统管理员。",
        "temporary_expired": "临时密码已过期，请联系系统管理员重新重置密码。",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if temporary_password_expired(user):
            raise forms.ValidationError(self.error_messages["temporary_expired"], code="temporary_expired")


class OwnPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "当前密码不正确，请重新输入。",
        "password_mismatch": "两次输入的新密码不一致。",
    }

    def clean_new_password1(self) -> str:
        new = str(self.cleaned_data.get("new_password1") or "")
        old = str(self.data.get("old_password") or "")
        if new and new == old:
            raise forms.ValidationError("新密码不能与当前密码相同。")
        return new


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100, error_messages={"required": "请填写令牌用途。"})
    days = forms.TypedChoiceField(label="有效期", coerce=int, required=False, empty_value=None, choices=[])
    read_only = forms.BooleanField(label="只读", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.RECTIFY_API_TOKEN_MAX_DAYS
        days = sorted({d for d in [*TOKEN_DAYS, settings.RECTIFY_API_TOKEN_DAYS] if d <= longest})
        field = self.fields["days"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(d, f"{d} 天") for d in days]
        field.initial = settings.RECTIFY_API_TOKEN_DAYS
        field.error_messages["invalid_choice"] = "请选择列出的有效期。"


class OtpCodeForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        min_length=6,
        max_length=8,
        error_messages={
            "required": "请输入身份验证器上显示的 6 位验证码。",
            "min_length": "验证码为 6 位数字。",
            "max_length": "验证码为 6 位数字。",
        },
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "class": "form-control form-control-lg text-center",
                "autofocus": True,
            }
        ),
    )

    def clean_token(self) -> str:
        value = str(self.cleaned_data["token"]).replace(" ", "")
        if not value.isdigit():
            raise forms.ValidationError("验证码为 6 位数字。")
        return value


# --- the system administrator's account pages (views_manage.py); the rules are in services_manage.


class AccountCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, error_messages={"required": "请填写用户名。"})
    full_name = forms.CharField(label="姓名", max_length=150, error_messages={"required": "请填写姓名。"})
    phone = forms.CharField(label="联系电话", max_length=20, required=False)


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=150, error_messages={"required": "请填写姓名。"})
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    is_active = forms.BooleanField(label="账号有效（可以登录）", required=False)


class MembershipForm(forms.Form):
    unit = forms.TypedChoiceField(
        label="单位",
        coerce=int,
        choices=[],
        error_messages={"required": "请选择单位。", "invalid_choice": "请选择列出的单位。"},
    )
    role = forms.ChoiceField(
        label="岗位", choices=[], error_messages={"required": "请选择岗位。", "invalid_choice": "请选择列出的岗位。"}
    )

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        role = self.fields["role"]
        assert isinstance(unit, forms.TypedChoiceField) and isinstance(role, forms.ChoiceField)
        unit.choices = [("", "选择单位…"), *units]
        role.choices = [("", "选择岗位…"), *Role.choices]
