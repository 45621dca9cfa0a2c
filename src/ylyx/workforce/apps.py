from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "ylyx.workforce"
    label = "workforce"
    verbose_name = "从业人员"
