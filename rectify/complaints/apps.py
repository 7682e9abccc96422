from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "rectify.complaints"
    label = "complaints"
    verbose_name = "交办件"
