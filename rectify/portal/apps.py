from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rectify.portal"
    label = "portal"
    verbose_name = "公开网站"
