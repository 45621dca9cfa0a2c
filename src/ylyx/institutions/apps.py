from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "ylyx.institutions"
    label = "institutions"
    verbose_name = "机构"
