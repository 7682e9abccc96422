from django.urls import path

from . import gantt_views, views

app_name = "dashboards"
urlpatterns: list = [
    # 领导驾驶舱, the counties and the landing after login (views.py).
    path("", views.home, name="home"),
    path("start/", views.landing, name="landing"),
    path("counties/", views.counties, name="counties"),
    path("counties/<int:unit_id>/", views.county, name="county"),
    # 挂图作战 (gantt_views.py): the Gantt and its A3 PDF, with the same filters.
    path("gantt/", gantt_views.gantt_page, name="gantt"),
    path("gantt.pdf", gantt_views.gantt_pdf_file, name="gantt_pdf"),
]
