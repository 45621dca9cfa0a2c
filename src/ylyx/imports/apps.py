from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "ylyx.imports"
    label = "imports"
    verbose_name = "Excel 导入导出"
