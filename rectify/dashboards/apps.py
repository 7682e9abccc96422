from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "rectify.dashboards"
    verbose_name = "驾驶舱与挂图作战"
