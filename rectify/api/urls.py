from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import progress_views as pv
from . import views

app_name = "api"
urlpatterns = [
    path("openapi.json", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("plans/", views.PlanList.as_view(), name="plans"),
    path("problems/", views.ProblemList.as_view(), name="problems"),
    path("problems/<int:pk>/", views.ProblemDetail.as_view(), name="problem"),
    path("measures/", views.MeasureList.as_view(), name="measures"),
    path("measures/<int:pk>/", views.MeasureDetail.as_view(), name="measure"),
    path("units/", views.UnitList.as_view(), name="units"),
    path("reports/", pv.ReportList.as_view(), name="reports"),
    path("reports/<int:pk>/", pv.ReportDetail.as_view(), name="report"),
    path("reports/<int:pk>/submit/", pv.ReportSubmit.as_view(), name="report_submit"),
    path("reports/<int:pk>/return/", pv.ReportReturn.as_view(), name="report_return"),
    path("reports/<int:pk>/accept/", pv.ReportAccept.as_view(), name="report_accept"),
    path("reports/<int:pk>/evidence/", pv.EvidenceList.as_view(), name="report_evidence"),
    path("evidence/<int:pk>/file/", pv.EvidenceFile.as_view(), name="evidence_file"),
    path("warnings/", pv.WarningList.as_view(), name="warnings"),
    path("warnings/summary/", pv.WarningSummary.as_view(), name="warning_summary"),
    path("measures/<int:pk>/warning/", pv.MeasureWarnings.as_view(), name="measure_warning"),
    path("missing-reports/", pv.MissingReports.as_view(), name="missing_reports"),
    path("notifications/", pv.NotificationList.as_view(), name="notifications"),
    path("notifications/read/", pv.NotificationsRead.as_view(), name="notifications_read"),
]
