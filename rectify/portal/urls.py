from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("closeouts/", views.closeouts, name="closeouts"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_batch, name="complaint_batch"),
    path("complaints/<int:pk>.xlsx", views.complaint_batch_file, {"fmt": "xlsx"}, name="complaint_batch_xlsx"),
    path("complaints/<int:pk>.pdf", views.complaint_batch_file, {"fmt": "pdf"}, name="complaint_batch_pdf"),
]
