"""The 抄送 (copy-to) field of the notice forms: units chosen from the city-level list and/or names
typed, stored on the notice as a list of names and printed in the 版记 ("抄送：…。")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rectify.core.errors import DomainError
from rectify.orgs.models import OrgUnit, UnitKind

from . import notices


def copy_to_choices() -> list[str]:
    """Units a notice is usually copied to (抄送): the city-level units of the directory."""
    units = OrgUnit.objects.filter(is_active=True, depth=1).exclude(kind=UnitKind.OFFICE).order_by("path")
    return list(units.values_list("name", flat=True))


def posted_copy_to(request: HttpRequest) -> list[str]:
    """抄送 from the form: the units chosen from the list, then what was typed."""
    return [*request.POST.getlist("copy_to"), str(request.POST.get("copy_to_text") or "")]


def copy_to_form(chosen: list[str]) -> dict[str, Any]:
    """The 抄送 field's context: the list (with what is chosen ticked) and the typed rest."""
    choices = copy_to_choices()
    return {
        "copy_to_choices": choices,
        "copy_to_chosen": [c for c in chosen if c in choices],
        "copy_to_text": "，".join(c for c in chosen if c not in choices),
    }


def typed_copy_to(request: HttpRequest) -> list[str]:
    """What the form sent for 抄送, split into names (never an error: kept as typed)."""
    if request.method != "POST":
        return []
    try:
        return notices.clean_copy_to(posted_copy_to(request))
    except DomainError:
        return [str(request.POST.get("copy_to_text") or ""), *request.POST.getlist("copy_to")]
