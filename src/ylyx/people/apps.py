from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ylyx.people"
    label = "people"
    verbose_name = "老年人与婴幼儿"

    def ready(self) -> None:
        from .identity import register_revealable
        from .models import ElderlyPerson, Infant

        register_revealable("elderly", ElderlyPerson, ("id_number", "phone", "name", "address"))
        register_revealable("infant", Infant, ("id_number", "phone", "name", "address", "guardian_name"))
