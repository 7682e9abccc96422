"""Reads for the second factor: the account's authenticator, what a session still owes, the QR
code an authenticator app scans (segno, drawn here as inline SVG: nothing leaves the server)."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice

from .policies import second_factor_required

# The session remembers, from the login on, what the second factor still asks of it.
SESSION_STATE = "rectify_2fa"
VERIFY = "verify"  # an authenticator is enrolled: its code is due
ENROL = "enrol"  # the role requires one and there is none yet


def confirmed_device(user: Any) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_factor_state(user: Any) -> str:
    """VERIFY, ENROL or "" (nothing owed) for a user who has just given the right password."""
    if confirmed_device(user) is not None:
        return VERIFY
    if second_factor_required(user):
        return ENROL
    return ""


def secret_text(device: TOTPDevice) -> str:
    """The key in base32 as authenticator apps take it by hand, in groups of four."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title="身份验证器二维码"))
