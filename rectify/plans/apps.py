from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "rectify.plans"
    label = "plans"
    verbose_name = "整改方案与台账"
