from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "ylyx.workspace"
    label = "workspace"
    verbose_name = "工作台"

    def ready(self) -> None:
        """Feed the shared to-do list: filings, reported values, imports and exports waiting for a user."""
        from ylyx.core import todo

        from .todos import PROVIDERS

        for source, provider in PROVIDERS.items():
            todo.register(source, provider)
