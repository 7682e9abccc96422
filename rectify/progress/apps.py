from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "rectify.progress"
    label = "progress"
    verbose_name = "进展报送"

    def ready(self) -> None:
        # The problem's timeline shows this app's events only to the units they speak for.
        from rectify.plans.disclosure import register_event_units

        from .disclosure import report_event_units

        register_event_units(report_event_units)
