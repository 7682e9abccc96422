from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "rectify.demo"
    label = "demo"
    verbose_name = "演示历史"
