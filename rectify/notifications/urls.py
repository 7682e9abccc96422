from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_index, name="list"),
    path("<int:notification_id>/", views.notification_open, name="open"),
    path("read-all/", views.notification_read_all, name="read_all"),
]
