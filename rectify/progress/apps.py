from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "rectify.progress"
    label = "progress"
    verbose_name = "进展报送"
