"""Import real region outlines from GeoJSON (replacing the demo's generated ones), or regenerate those."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ylyx.regions.boundaries import BoundaryError, generate_synthetic, load_geojson
from ylyx.regions.models import Region


class Command(BaseCommand):
    help = "导入区划边界：GeoJSON FeatureCollection，每个要素带区划代码属性（6/9/12 位）；或 --synthetic 生成演示边界"

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="GeoJSON 文件")
        parser.add_argument("--code-property", default="code", help="要素中区划代码的属性名（默认 code）")
        parser.add_argument("--source", default="", help="来源说明（默认文件名）")
        parser.add_argument("--synthetic", metavar="ROOT", help="为该区划（代码）及其下级生成演示边界")

    def handle(self, *args, **opts):
        if opts["synthetic"]:
            root = Region.objects.filter(code=opts["synthetic"].ljust(12, "0")).first()
            if root is None:
                raise CommandError(f"区划代码 {opts['synthetic']} 不存在")
            n = generate_synthetic(root)
            self.stdout.write(f"已生成 {n} 个演示边界（标记为生成的边界）")
            return
        if not opts["file"]:
            raise CommandError("请给出 GeoJSON 文件，或使用 --synthetic 区划代码")
        try:
            res = load_geojson(Path(opts["file"]), opts["code_property"], opts["source"])
        except BoundaryError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已导入 {res['loaded']} 个边界（文件共 {res['features']} 个要素）")
