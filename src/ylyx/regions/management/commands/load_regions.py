from django.core.management.base import BaseCommand

from ylyx.regions.services import load_gbt2260


class Command(BaseCommand):
    help = "载入 GB/T 2260 省、市、县级行政区划代码（来自 python-stdnum）"

    def add_arguments(self, parser):
        parser.add_argument("--provinces", default="", help="只载入这些省级代码前两位，逗号分隔，如 15,13,51")

    def handle(self, *args, **opts):
        provs = {p.strip() for p in opts["provinces"].split(",") if p.strip()} or None
        n = load_gbt2260(provs)
        self.stdout.write(f"已载入 {n} 个区划")
