from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "ylyx.assessments"
    label = "assessments"
    verbose_name = "老年人能力评估"

    def ready(self) -> None:
        from ylyx.core import todo

        from .todos import PROVIDERS

        for source, provider in PROVIDERS.items():
            todo.register(source, provider)
