from django.urls import path

from . import briefing_views, dossier_views, views

app_name = "documents"
urlpatterns = [
    path("ledger/", views.ledger_export, name="ledger_export"),
    path("notices/<int:notice_id>.docx", views.notice_file, {"fmt": "docx"}, name="notice_docx"),
    path("notices/<int:notice_id>.pdf", views.notice_file, {"fmt": "pdf"}, name="notice_pdf"),
    path("circulars/", views.circulars, name="circulars"),
    path("circulars/generate/", views.circular_generate, name="circular_generate"),
    path("circulars/<int:circular_id>/", views.circular, name="circular"),
    path("circulars/<int:circular_id>/refresh/", views.circular_action, {"action": "refresh"}, name="circular_refresh"),
    path("circulars/<int:circular_id>/issue/", views.circular_action, {"action": "issue"}, name="circular_issue"),
    path("circulars/<int:circular_id>/cancel/", views.circular_action, {"action": "cancel"}, name="circular_cancel"),
    path("circulars/<int:circular_id>/publish/", views.circular_action, {"action": "publish"}, name="circular_publish"),
    path(
        "circulars/<int:circular_id>/unpublish/",
        views.circular_action,
        {"action": "unpublish"},
        name="circular_unpublish",
    ),
    path("circulars/<int:circular_id>.docx", views.circular_file, {"fmt": "docx"}, name="circular_docx"),
    path("circulars/<int:circular_id>.pdf", views.circular_file, {"fmt": "pdf"}, name="circular_pdf"),
    path("briefings/", views.briefings, name="briefings"),
    path("briefings/new/", views.briefing_new, name="briefing_new"),
    path("briefings/<int:briefing_id>/", views.briefing, name="briefing"),
    path("briefings/<int:briefing_id>/issue/", views.briefing_action, {"action": "issue"}, name="briefing_issue"),
    path("briefings/<int:briefing_id>/cancel/", views.briefing_action, {"action": "cancel"}, name="briefing_cancel"),
    path("briefings/<int:briefing_id>/publish/", views.briefing_action, {"action": "publish"}, name="briefing_publish"),
    path(
        "briefings/<int:briefing_id>/unpublish/",
        views.briefing_action,
        {"action": "unpublish"},
        name="briefing_unpublish",
    ),
    path("briefings/<int:briefing_id>.docx", views.briefing_file, {"fmt": "docx"}, name="briefing_docx"),
    path("briefings/<int:briefing_id>.pdf", views.briefing_file, {"fmt": "pdf"}, name="briefing_pdf"),
    *briefing_views.urlpatterns,
    *dossier_views.urlpatterns,
]
