from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "ylyx.care"
    label = "care"
    verbose_name = "居家社区服务与时间银行"

    def ready(self) -> None:
        """Catalogue indicators (家庭养老床位数, 助餐覆盖, 老年志愿者占比, 签约率) and the missed-service to-dos."""
        from ylyx.core import todo

        from . import metrics, todos

        metrics.register()
        todo.register("home_care_bed", todos.missed_bed_services)
