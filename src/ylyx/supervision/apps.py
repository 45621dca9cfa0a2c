from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "ylyx.supervision"
    label = "supervision"
    verbose_name = "综合监管"

    def ready(self) -> None:
        """Feed the shared mechanisms without their knowing this app: to-dos, the credit gate, indicators."""
        from ylyx.core import gates, todo

        from . import metrics, todos
        from .selectors import credit_gate

        for source, provider in todos.PROVIDERS.items():
            todo.register(source, provider)
        gates.register("信用", credit_gate)
        metrics.register()
