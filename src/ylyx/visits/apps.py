from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "ylyx.visits"
    label = "visits"
    verbose_name = "探访关爱"

    def ready(self) -> None:
        """Feed the shared mechanisms: the visitors' and officials' to-dos, the monthly visit rate indicator."""
        from ylyx.core import todo

        from . import metrics, todos

        todo.register("visit", todos.visits)
        todo.register("visit_followup", todos.followups)
        metrics.register()
