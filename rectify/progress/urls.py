from django.urls import path

from . import views, weekly_views

app_name = "progress"
urlpatterns = [
    path("", views.todo, name="todo"),
    path("units/<int:unit_id>/<str:kind>/<str:key>/", weekly_views.unit_period, name="unit_period"),
    path(
        "units/<int:unit_id>/<str:kind>/<str:key>/shares/<int:assignment_id>/",
        weekly_views.share_card,
        name="share_card",
    ),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("reports/<int:report_id>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:report_id>/review/", views.report_review, name="report_review"),
    path("reports/<int:report_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("evidence/<int:evidence_id>/remove/", views.evidence_remove, name="evidence_remove"),
    path("review/", views.review_list, name="review"),
    path("missing/", views.missing, name="missing"),
    path("calendar/", views.calendar_edit, name="calendar"),
]
