"""The one way a stored file leaves the system: re-hashed against the SHA-256 kept for it
(core.files.stored_file_damage); a missing or changed file is refused with a Chinese message
(410 / 409) and the refusal is audited."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

from rectify.core.files import FileDamage, stored_file_damage
from rectify.core.http import stored_file_response

from .services import record


def file_refusal(*, actor: Any, obj: models.Model, storage_name: str, sha256: str = "") -> FileDamage | None:
    """None when the file may be served; otherwise the damage, already audited."""
    damage = stored_file_damage(storage_name, sha256)
    if damage is not None:
        record(
            actor=actor,
            action="file.refused",
            obj=obj,
            after={"file": storage_name, "problem": damage.kind, "expected": damage.expected, "actual": damage.actual},
            note=damage.message,
        )
    return damage


def checked_file_response(
    request: HttpRequest,
    *,
    obj: models.Model,
    storage_name: str,
    filename: str,
    content_type: str,
    inline: bool,
    sha256: str = "",
) -> HttpResponseBase:
    """`stored_file_response` for a file whose bytes still give its SHA-256; a page saying why
    not otherwise."""
    damage = file_refusal(actor=request.user, obj=obj, storage_name=storage_name, sha256=sha256)
    if damage is not None:
        return render(
            request, "audit/file_refused.html", {"message": damage.message, "filename": filename}, status=damage.status
        )
    return stored_file_response(storage_name=storage_name, filename=filename, content_type=content_type, inline=inline)
