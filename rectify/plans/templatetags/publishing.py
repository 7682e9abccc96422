"""{% may_publish user as flag %}: whether the viewer sets what the public portal shows."""

from __future__ import annotations

from typing import Any

from django import template

from rectify.plans.policies import can_publish

register = template.Library()


@register.simple_tag
def may_publish(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and can_publish(user)
