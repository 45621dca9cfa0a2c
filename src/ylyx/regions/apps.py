from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "ylyx.regions"
    label = "regions"
    verbose_name = "行政区划"
