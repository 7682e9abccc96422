"""API routes added for issue 17 (parity): the unit directory, a problem's deadline and units still
to confirm, the reporting calendar (see rectify.api.directory_views). Adding a unit is POST
/api/v1/units/ (rectify.api.urls); these paths sit under /units/<id>/ beside it."""

from django.urls import URLPattern, path

from . import directory_views as dv

urlpatterns: list[URLPattern] = [
    path("units/<int:pk>/", dv.UnitDetail.as_view(), name="unit"),
    path("units/<int:pk>/rename/", dv.UnitRename.as_view(), name="unit_rename"),
    path("units/<int:pk>/merge/", dv.UnitMerge.as_view(), name="unit_merge"),
    path("problems/<int:pk>/deadline/", dv.ProblemDeadline.as_view(), name="problem_deadline"),
    path("pending-assignments/", dv.PendingAssignments.as_view(), name="pending_assignments"),
    path(
        "problems/<int:pk>/assignments/<int:assignment_id>/confirm/",
        dv.AssignmentConfirm.as_view(),
        name="assignment_confirm",
    ),
    path("reporting-calendar/", dv.Calendar.as_view(), name="reporting_calendar"),
]
