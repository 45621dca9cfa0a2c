from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "ylyx.indicators"
    label = "indicators"
    verbose_name = "规划与指标"
