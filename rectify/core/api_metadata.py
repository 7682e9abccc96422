"""OPTIONS on every endpoint (DRF's DEFAULT_METADATA_CLASS; its own module because DRF imports it
while its views module is still loading)."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """An action view without a serializer class (its body is read by hand) is described by name
    and description only, instead of failing DRF's assertion with a 500."""

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        try:
            return super().determine_actions(request, view)
        except AssertionError:
            return {}
