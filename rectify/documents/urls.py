from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [path("ledger/", views.ledger_export, name="ledger_export")]
