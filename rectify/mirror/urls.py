"""The 各市对账 page (mounted at /mirror/ by config/urls.py)."""

from django.urls import URLPattern, path

from . import views

app_name = "mirror"
urlpatterns: list[URLPattern] = [
    path("", views.cities, name="cities"),
    path("upload/", views.upload, name="upload"),
]
