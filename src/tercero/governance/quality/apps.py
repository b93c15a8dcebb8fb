from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "tercero.governance.quality"
    label = "quality"
    verbose_name = "Quality assurance"
