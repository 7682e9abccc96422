"""API routes added for issue 17 (parity): a plan import, as on the pages of rectify.ingestion
(see rectify.api.import_views)."""

from django.urls import URLPattern, path

from . import import_views as iv

urlpatterns: list[URLPattern] = [
    path("plan-imports/", iv.ImportList.as_view(), name="plan_imports"),
    path("plan-imports/<int:pk>/", iv.ImportDetail.as_view(), name="plan_import"),
    path("plan-imports/<int:pk>/commit/", iv.ImportCommit.as_view(), name="plan_import_commit"),
    path("plan-imports/<int:pk>/discard/", iv.ImportDiscard.as_view(), name="plan_import_discard"),
    path("plan-imports/<int:pk>/pages/<int:number>/", iv.ImportPage.as_view(), name="plan_import_page"),
]
