from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from rectify.documents import api as documents_api

from . import closeout_views as cv
from . import complaints_views as kv
from . import progress_views as pv
from . import supervision_views as sv
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
    path("measures/<int:pk>/deadline/", views.MeasureDeadline.as_view(), name="measure_deadline"),
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
    path("notices/", sv.NoticeList.as_view(), name="notices"),
    path("notices/proposals/", sv.ProposalList.as_view(), name="notice_proposals"),
    path("notices/<int:pk>/", sv.NoticeDetail.as_view(), name="notice"),
    path("notices/<int:pk>/issue/", sv.NoticeAction.as_view(action="issue"), name="notice_issue"),
    path("notices/<int:pk>/reply/", sv.NoticeReply.as_view(), name="notice_reply"),
    path("notices/<int:pk>/return/", sv.NoticeAction.as_view(action="return"), name="notice_return"),
    path("notices/<int:pk>/close/", sv.NoticeAction.as_view(action="close"), name="notice_close"),
    path("notices/<int:pk>/cancel/", sv.NoticeAction.as_view(action="cancel"), name="notice_cancel"),
    path("notices/<int:pk>/escalate/", sv.NoticeEscalate.as_view(), name="notice_escalate"),
    path("extensions/", sv.ExtensionList.as_view(), name="extensions"),
    path("extensions/<int:pk>/decide/", sv.ExtensionDecide.as_view(), name="extension_decide"),
    path("visits/", sv.VisitList.as_view(), name="visits"),
    path("visits/<int:pk>/", sv.VisitDetail.as_view(), name="visit"),
    path("visits/<int:pk>/photos/", sv.VisitPhotos.as_view(), name="visit_photos"),
    path("flags/", sv.FlagList.as_view(), name="flags"),
    path("flags/<int:pk>/lift/", sv.FlagLift.as_view(), name="flag_lift"),
]
urlpatterns += [
    path("closeouts/", cv.ApplicationList.as_view(), name="closeouts"),
    path("closeouts/<int:pk>/", cv.ApplicationDetail.as_view(), name="closeout"),
    path("closeouts/<int:pk>/decide/", cv.ApplicationDecide.as_view(), name="closeout_decide"),
    path("closeouts/<int:pk>/consent/", cv.ApplicationConsent.as_view(), name="closeout_consent"),
    path("closeouts/<int:pk>/resubmit/", cv.ApplicationText.as_view(action="resubmit"), name="closeout_resubmit"),
    path("closeouts/<int:pk>/object/", cv.ApplicationText.as_view(action="object"), name="closeout_object"),
    path("closeouts/<int:pk>/reopen/", cv.ApplicationText.as_view(action="reopen"), name="closeout_reopen"),
    path("closeouts/<int:pk>/withdraw/", cv.ApplicationText.as_view(action="withdraw"), name="closeout_withdraw"),
    path("indicators/", cv.IndicatorList.as_view(), name="indicators"),
    path("indicators/<int:pk>/value/", cv.IndicatorValue.as_view(), name="indicator_value"),
]
urlpatterns += [
    path("complaint-batches/", kv.BatchList.as_view(), name="complaint_batches"),
    path("complaint-batches/<int:pk>/public/", kv.PublicList.as_view(), name="complaint_public"),
    path("complaints/", kv.CaseList.as_view(), name="complaints"),
    path("complaints/<int:pk>/", kv.CaseDetail.as_view(), name="complaint"),
    path("complaint-imports/", kv.ImportCreate.as_view(), name="complaint_imports"),
    path("complaint-imports/<int:pk>/commit/", kv.ImportCommit.as_view(), name="complaint_import_commit"),
]
urlpatterns += documents_api.urlpatterns
