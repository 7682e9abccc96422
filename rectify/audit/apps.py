from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "rectify.audit"
    label = "audit"
    verbose_name = "留痕"
