from django.urls import path

from . import edit_views, publish_views, round_views, views

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
    path("rounds/", round_views.round_list, name="rounds"),
    path("rounds/new/", round_views.round_create, name="round_create"),
    path("rounds/<int:round_id>/", round_views.round_detail, name="round"),
    path("rounds/<int:round_id>/edit/", round_views.round_edit, name="round_edit"),
    path("rounds/<int:round_id>/plans/", round_views.round_plan_add, name="round_plan_add"),
    path("plans/<int:plan_id>/round/", round_views.plan_round, name="plan_round"),
    path("problems/<int:problem_id>/links/", round_views.problem_link, name="problem_link"),
    path("problems/<int:problem_id>/links/<int:link_id>/delete/", round_views.problem_unlink, name="problem_unlink"),
]
urlpatterns += [path("plans/<int:plan_id>/publishing/", publish_views.plan_publishing, name="publishing")]
# Editing by hand (自查自纠 / 举一反三 …) and 包联领导 (edit_views).
urlpatterns += [
    path("plans/<int:plan_id>/problems/new/", edit_views.problem_create, name="problem_create"),
    path("problems/led/", edit_views.led_problems, name="led_problems"),
    path("problems/<int:problem_id>/measures/new/", edit_views.measure_create, name="measure_create"),
    path("measures/<int:measure_id>/edit/", edit_views.measure_edit, name="measure_edit"),
    path("problems/<int:problem_id>/leaders/", edit_views.leader_add, name="problem_leader_add"),
    path(
        "problems/<int:problem_id>/leaders/<int:leader_id>/remove/",
        edit_views.leader_remove,
        name="problem_leader_remove",
    ),
]
