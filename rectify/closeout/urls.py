from django.urls import path

from . import views

app_name = "closeout"
urlpatterns = [
    path("", views.application_list, name="applications"),
    path("apply/", views.apply, name="apply"),
    path("review/", views.review_queue, name="review"),
    path("<int:pk>/", views.application_detail, name="application"),
    path("<int:pk>/<str:action>/", views.application_action, name="action"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
