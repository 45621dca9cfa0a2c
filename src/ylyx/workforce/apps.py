from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "ylyx.workforce"
    label = "workforce"
    verbose_name = "从业人员"

    def ready(self) -> None:
        from ylyx.people.identity import register_revealable

        from .models import Practitioner

        register_revealable("practitioner", Practitioner, ("id_number", "phone", "name"))
