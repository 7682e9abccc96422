from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

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
    path("units/", views.UnitList.as_view(), name="units"),
]
