from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated

from rectify.dashboards import gantt_api
from rectify.documents import api as documents_api

from . import closeout_views as cv
from . import complaints_views as kv
from . import dashboard_views as dv
from . import editing_views as ev
from . import progress_views as pv
from . import publishing_views as publ
from . import round_views as rv
from . import supervision_views as sv
from . import views
from .schema import SWAGGER_STYLE_HASH

app_name = "api"
# The schema and its docs page need a login (a session or a token) unless RECTIFY_PUBLIC_API_DOCS
# opens them (docs/security.md). The docs page sends a browser to the login page; its Swagger
# script is a file of its own (the split view), so the page keeps the site's CSP but for styles.
_docs_access = [AllowAny] if settings.RECTIFY_PUBLIC_API_DOCS else [IsAuthenticated]
_docs_view = SpectacularSwaggerSplitView.as_view(
    url_name="api:schema", permission_classes=_docs_access, http_method_names=["get", "head"]
)
urlpatterns: list[URLPattern | URLResolver] = [
    path("openapi.json", SpectacularAPIView.as_view(permission_classes=_docs_access), name="schema"),
    # GET only: an OPTIONS on the HTML page would look for a template it has none of.
    path(
        "docs/",
        csp_update({"style-src": [SWAGGER_STYLE_HASH]})(
            _docs_view if settings.RECTIFY_PUBLIC_API_DOCS else login_required(_docs_view)
        ),
        name="docs",
    ),
    path("plans/", views.PlanList.as_view(), name="plans"),
    path("problems/", ev.ProblemListCreate.as_view(), name="problems"),
    path("problems/<int:pk>/", views.ProblemDetail.as_view(), name="problem"),
    path("measures/", ev.MeasureListCreate.as_view(), name="measures"),
    path("measures/<int:pk>/", ev.MeasureDetailEdit.as_view(), name="measure"),
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
urlpatterns += [
    path("rounds/", rv.RoundList.as_view(), name="rounds"),
    path("rounds/<int:pk>/", rv.RoundDetail.as_view(), name="round"),
    path("plans/<int:pk>/round/", rv.PlanRound.as_view(), name="plan_round"),
    path("problems/<int:pk>/links/", rv.ProblemLinks.as_view(), name="problem_links"),
    path("problem-links/<int:pk>/", rv.LinkDetail.as_view(), name="problem_link"),
]
urlpatterns += [
    path("plans/<int:pk>/publishing/", publ.PlanPublishing.as_view(), name="plan_publishing"),
    path(
        "circulars/<int:pk>/publishing/", publ.DocumentPublishing.as_view(kind="circular"), name="circular_publishing"
    ),
    path(
        "briefings/<int:pk>/publishing/", publ.DocumentPublishing.as_view(kind="briefing"), name="briefing_publishing"
    ),
]
urlpatterns += [
    path("dashboard/", dv.DashboardView.as_view(), name="dashboard"),
    path("dashboard/counties/", dv.CountyListView.as_view(), name="dashboard_counties"),
    path("dashboard/counties/<int:pk>/", dv.CountyDetailView.as_view(), name="dashboard_county"),
    path("dashboard/gantt/", gantt_api.GanttApi.as_view(), name="dashboard_gantt"),
]
# 包联领导 (editing_views; problems/ and measures/ above also take POST / PATCH there).
urlpatterns += [
    path("problems/<int:pk>/leaders/", ev.ProblemLeaders.as_view(), name="problem_leaders"),
    path("problems/<int:pk>/leaders/<int:leader_id>/", ev.ProblemLeaderDetail.as_view(), name="problem_leader"),
]
# Issue 17 (parity with the pages): each file holds the routes of one area.
urlpatterns += [
    path("", include("rectify.api.urls_import")),
    path("", include("rectify.api.urls_directory")),
    path("", include("rectify.api.urls_complaints_extra")),
    path("", include("rectify.api.urls_documents_extra")),
    path("", include("rectify.api.urls_exchange")),
]
