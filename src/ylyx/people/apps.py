from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ylyx.people"
    label = "people"
    verbose_name = "老年人与婴幼儿"
