from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "rectify.supervision"
    label = "supervision"
    verbose_name = "预警与督办"

    def ready(self) -> None:
        # The problem's timeline shows this app's events only to the units they speak for.
        from rectify.plans.disclosure import register_event_units

        from .disclosure import supervision_event_units

        register_event_units(supervision_event_units)
