"""{% described events current=obj as lines %}: audit events as sentences (audit.describe), for
every page that shows a timeline; the partial audit/_timeline.html renders them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.db import models

from rectify.audit.describe import Described, Links, describe_events
from rectify.audit.models import AuditEvent

register = template.Library()


@register.simple_tag
def described(
    events: Iterable[AuditEvent], current: models.Model | None = None, links: Links = "pages"
) -> list[Described]:
    return describe_events(events or [], current=current or None, links=links)
