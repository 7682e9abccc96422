from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.unit_index, name="list"),
    path("add/", views.unit_add, name="add"),
    path("<int:unit_id>/rename/", views.unit_rename, name="rename"),
    path("<int:unit_id>/merge/", views.unit_merge, name="merge"),
    path("<int:unit_id>/history/", views.unit_history, name="history"),
]
