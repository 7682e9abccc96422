from django.apps import AppConfig


class CloseoutConfig(AppConfig):
    name = "rectify.closeout"
    label = "closeout"
    verbose_name = "验收销号"

    def ready(self) -> None:
        # The problem's timeline shows this app's events only to the units they speak for.
        from rectify.plans.disclosure import register_event_units

        from .disclosure import application_event_units

        register_event_units(application_event_units)
