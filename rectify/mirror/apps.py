from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "rectify.mirror"
    verbose_name = "各市台账镜像（对账）"
