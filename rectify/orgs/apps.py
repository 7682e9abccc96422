from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "rectify.orgs"
    label = "orgs"
    verbose_name = "单位"
