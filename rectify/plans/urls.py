from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("plans/", views.plan_index, name="plans"),
    path("problems/<int:problem_id>/", views.problem_detail, name="problem"),
    path("problems/<int:problem_id>/history/", views.problem_history, name="problem_history"),
    path("problems/<int:problem_id>/deadline/", views.problem_deadline_edit, name="problem_deadline"),
    path(
        "problems/<int:problem_id>/assignments/<int:assignment_id>/confirm/",
        views.assignment_confirm,
        name="assignment_confirm",
    ),
    path("pending-units/", views.pending_list, name="pending"),
    path("ledger/units/<int:unit_id>/", views.unit_detail, name="unit"),
]
