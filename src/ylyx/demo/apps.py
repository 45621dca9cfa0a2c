from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ylyx.demo"
    label = "demo"
    verbose_name = "演示城市"
