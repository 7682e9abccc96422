from django.urls import path

from . import notice_views, views

# The warning board keeps its /warnings/ address; the rest of 督办 lives under /supervision/.
app_name = "supervision"
urlpatterns = [
    path("warnings/", views.board, name="board"),
    path("warnings/scan/", views.scan_now, name="scan"),
    path("measures/<int:measure_id>/deadline/", views.measure_deadline_edit, name="measure_deadline"),
    path("supervision/notices/", notice_views.notice_list, name="notices"),
    path("supervision/notices/new/", notice_views.notice_new, name="notice_new"),
    path("supervision/notices/propose/", notice_views.proposal_confirm, name="proposal_confirm"),
    path("supervision/notices/<int:pk>/", notice_views.notice_detail, name="notice"),
    path(
        "supervision/notices/<int:pk>/<str:action>/",
        notice_views.notice_action,
        name="notice_action",
    ),
    path("supervision/attachments/<int:pk>/", notice_views.attachment_download, name="attachment"),
    path("supervision/extensions/", notice_views.extension_list, name="extensions"),
    path("supervision/extensions/new/", notice_views.extension_new, name="extension_new"),
    path("supervision/extensions/<int:pk>/decide/", notice_views.extension_decide, name="extension_decide"),
    path("supervision/visits/", notice_views.visit_list, name="visits"),
    path("supervision/visits/new/", notice_views.visit_new, name="visit_new"),
    path("supervision/visits/<int:pk>/", notice_views.visit_detail, name="visit"),
    path("supervision/visit-tasks/<int:pk>/done/", notice_views.visit_task_done, name="visit_task_done"),
    path("supervision/flags/", notice_views.flag_list, name="flags"),
    path("supervision/flags/set/", notice_views.flag_set, name="flag_set"),
    path("supervision/flags/<int:pk>/lift/", notice_views.flag_lift, name="flag_lift"),
]
