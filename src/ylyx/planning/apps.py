from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "ylyx.planning"
    label = "planning"
    verbose_name = "规划测算"
