from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("problems/<int:pk>/", views.problem, name="problem"),
    path("closeouts/", views.closeouts, name="closeouts"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_batch, name="complaint_batch"),
    path("complaints/<int:pk>.xlsx", views.complaint_batch_file, {"fmt": "xlsx"}, name="complaint_batch_xlsx"),
    path("complaints/<int:pk>.pdf", views.complaint_batch_file, {"fmt": "pdf"}, name="complaint_batch_pdf"),
    path("documents/", views.documents, name="documents"),
    path("documents/circulars/<int:pk>.pdf", views.circular_pdf, name="circular_pdf"),
    path("documents/briefings/<int:pk>.pdf", views.briefing_pdf, name="briefing_pdf"),
]
