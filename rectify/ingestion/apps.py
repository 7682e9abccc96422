from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "rectify.ingestion"
    label = "ingestion"
    verbose_name = "方案导入"
