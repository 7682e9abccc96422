"""Top-level URL map: each app owns its own urls module."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("rectify.plans.urls")),
    path("accounts/", include("rectify.accounts.urls")),
    path("units/", include("rectify.orgs.urls")),
    path("audit/", include("rectify.audit.urls")),
    path("import/", include("rectify.ingestion.urls")),
    path("export/", include("rectify.documents.urls")),
    path("progress/", include("rectify.progress.urls")),
    path("", include("rectify.supervision.urls")),
    path("closeout/", include("rectify.closeout.urls")),
    path("complaints/", include("rectify.complaints.urls")),
    path("dashboard/", include("rectify.dashboards.urls")),
    path("public/", include("rectify.portal.urls")),
    path("indicators/", include("rectify.indicators.urls")),
    path("notifications/", include("rectify.notifications.urls")),
    path("mirror/", include("rectify.mirror.urls")),
    path("api/v1/", include("rectify.api.urls")),
    path("sysadmin/", admin.site.urls),
]
# A 400 says why in Chinese (an upload Django cannot parse: a file name too long, docs/security.md).
handler400 = "rectify.core.http.bad_request"
