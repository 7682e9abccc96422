"""API routes added for issue 17 (parity): see the module docstring of the views they name.

complaints_extra_views: 交办件 actions; audit_views: the audit log; gap_views: the other page
actions that had no API twin (warning scan, proposals, visit tasks, notifications, evidence,
a unit's reports of one period)."""

from django.urls import URLPattern, path

from . import audit_views as av
from . import complaints_extra_views as kx
from . import gap_views as gv

urlpatterns: list[URLPattern] = [
    # complaints:case_action
    path("complaints/<int:pk>/assign/", kx.CaseAssign.as_view(), name="complaint_assign"),
    path("complaints/<int:pk>/revisit/", kx.CaseRevisit.as_view(), name="complaint_revisit"),
    path("complaints/<int:pk>/notice/", kx.CaseNotice.as_view(), name="complaint_notice"),
    # complaints:batch_action
    path("complaint-batches/<int:pk>/attach/", kx.BatchAttach.as_view(), name="complaint_batch_attach"),
    path("complaint-batches/<int:pk>/publish/", kx.BatchPublish.as_view(), name="complaint_batch_publish"),
    path("complaint-batches/<int:pk>/cases/", kx.BatchCases.as_view(), name="complaint_batch_cases"),
    # complaints:import_review
    path("complaint-imports/<int:pk>/", kx.ImportReview.as_view(), name="complaint_import"),
    path("complaint-imports/<int:pk>/discard/", kx.ImportDiscard.as_view(), name="complaint_import_discard"),
    # audit:log, audit:verify
    path("audit-events/", av.AuditEventList.as_view(), name="audit_events"),
    path("audit-events/choices/", av.AuditChoices.as_view(), name="audit_choices"),
    path("audit-verifications/", av.VerificationList.as_view(), name="audit_verifications"),
    # supervision:scan, supervision:proposal_confirm, supervision:visit_task_done
    path("warnings/scan/", gv.WarningScan.as_view(), name="warning_scan"),
    path("notices/proposals/confirm/", gv.ProposalConfirm.as_view(), name="notice_proposal_confirm"),
    path("visit-tasks/<int:pk>/done/", gv.VisitTaskDone.as_view(), name="visit_task_done"),
    # notifications:read_all
    path("notifications/read-all/", gv.NotificationsReadAll.as_view(), name="notifications_read_all"),
    # progress:evidence_remove, progress:unit_period
    path("evidence/<int:pk>/", gv.EvidenceRemove.as_view(), name="evidence_remove"),
    path(
        "units/<int:unit_id>/periods/<str:kind>/<str:key>/reports/",
        gv.UnitPeriodReports.as_view(),
        name="unit_period_reports",
    ),
]
