from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "ylyx.subsidies"
    label = "subsidies"
    verbose_name = "补贴"

    def ready(self) -> None:
        from ylyx.core import todo

        from . import metrics
        from .todos import PROVIDERS

        for source, provider in PROVIDERS.items():
            todo.register(source, provider)
        metrics.register()
