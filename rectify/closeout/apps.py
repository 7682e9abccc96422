from django.apps import AppConfig


class CloseoutConfig(AppConfig):
    name = "rectify.closeout"
    label = "closeout"
    verbose_name = "验收销号"
