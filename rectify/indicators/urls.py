from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [path("problems/<int:problem_id>/", views.problem_indicators, name="problem")]
