from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "ylyx.care"
    label = "care"
    verbose_name = "居家社区服务与时间银行"
