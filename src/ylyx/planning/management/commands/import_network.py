"""Import a city's walking network from an OpenStreetMap PBF extract (read with pyrosm) for the planning map."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ylyx.regions.models import Region, normalise_code

from ...circles import network_path
from ...engines import network as N


class Command(BaseCommand):
    help = "导入步行路网：manage.py import_network --pbf FILE --region CODE（pyrosm 读取 OSM PBF）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--pbf", required=True, help="OSM PBF 文件路径；test 表示 pyrosm 自带的测试数据")
        parser.add_argument("--region", required=True, help="路网所属区划代码（其下级区划共用）")

    def handle(self, *args, **opts) -> None:
        region = Region.objects.filter(code=normalise_code(opts["region"])).first()
        if region is None:
            raise CommandError(f"区划不存在：{opts['region']}")
        src = opts["pbf"]
        if src == "test":
            import pyrosm

            src = pyrosm.get_data("test_pbf")
        if not Path(src).is_file():
            raise CommandError(f"文件不存在：{src}")
        try:
            g = N.from_pyrosm(src)
        except Exception as exc:  # pyrosm raises many kinds on a bad file
            raise CommandError(f"无法读取路网：{exc}") from exc
        if g.n == 0:
            raise CommandError("文件中没有步行路网")
        path = network_path(region)
        path.parent.mkdir(parents=True, exist_ok=True)
        N.save(g, path, source=Path(src).name)
        self.stdout.write(f"{region.name}：{g.n} 个节点，{g.n_edges} 条边，{g.length_m() / 1000:.1f} 公里 → {path}")
