"""行政区划 (Region) on 12-digit statistical codes, and population statistics by region and year."""

from __future__ import annotations

from django.db import models

PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, "省级"
        CITY = 2, "市级（市/盟）"
        COUNTY = 3, "县级（旗县区）"
        TOWN = 4, "乡级（苏木乡镇/街道）"
        VILLAGE = 5, "村级（嘎查村/社区）"

    class Kind(models.TextChoices):
        NONE = "", "—"
        STREET = "street", "街道"
        TOWN = "town", "镇"
        TOWNSHIP = "township", "乡/苏木"
        COMMUNITY = "community", "社区/居委会"
        VILLAGE = "village", "村/嘎查"

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, blank=True, default="")
    urban = models.BooleanField("城镇", default=False, help_text="城乡分类：城镇（1xx）或乡村（2xx）")
    is_synthetic = models.BooleanField("演示数据", default=False,
                                       help_text="乡镇和村社区为演示生成，不是真实区划")
    valid_from = models.PositiveSmallIntegerField("启用年份", null=True, blank=True)
    valid_to = models.PositiveSmallIntegerField("停用年份", null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaces", verbose_name="由…替代")
    centroid_lat = models.FloatField("纬度", null=True, blank=True)
    centroid_lon = models.FloatField("经度", null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LEN[self.level]]

    @property
    def short_code(self) -> str:
        return self.code[:6] if self.level <= 3 else self.code[: PREFIX_LEN[self.level]]

    def ancestors(self) -> list[Region]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def path_name(self) -> str:
        return " / ".join([r.name for r in self.ancestors()] + [self.name])


class PopulationStat(models.Model):
    """人口统计 for a region and year; city and county rows are what the plans publish."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="population", verbose_name="区划")
    year = models.PositiveSmallIntegerField("年份")
    total = models.PositiveIntegerField("常住人口")
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    aged_60 = models.PositiveIntegerField("60岁及以上", null=True, blank=True)
    aged_65 = models.PositiveIntegerField("65岁及以上", null=True, blank=True)
    aged_80 = models.PositiveIntegerField("80岁及以上", null=True, blank=True)
    under_3 = models.PositiveIntegerField("3岁以下", null=True, blank=True)
    births = models.PositiveIntegerField("出生人口", null=True, blank=True)
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        unique_together = [("region", "year")]
        ordering = ["region_id", "year"]
        verbose_name = verbose_name_plural = "人口统计"

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}"


def normalise_code(code: str) -> str:
    code = code.strip()
    return code.ljust(12, "0") if code.isdigit() and len(code) in (2, 4, 6, 9) else code


def level_of(code12: str) -> int:
    if code12[2:] == "0" * 10:
        return 1
    if code12[4:] == "0" * 8:
        return 2
    if code12[6:] == "0" * 6:
        return 3
    if code12[9:] == "000":
        return 4
    return 5


class RegionBoundary(models.Model):
    """A region's outline as a GeoJSON geometry (Polygon or MultiPolygon, WGS 84 lon/lat).

    The demo's towns and villages are synthetic, so their outlines are generated (``is_synthetic``):
    nested Voronoi cells of the centroids, each clipped to its parent's cell. Real outlines replace them
    with ``manage.py load_boundaries FILE.geojson``.
    """

    region = models.OneToOneField(Region, on_delete=models.CASCADE, primary_key=True, related_name="boundary",
                                  verbose_name="区划")
    geometry = models.JSONField("边界（GeoJSON）")
    is_synthetic = models.BooleanField("生成的边界", default=False, help_text="演示数据：按中心点生成，不是真实边界")
    source = models.CharField("来源", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "区划边界"

    def __str__(self) -> str:
        return f"{self.region_id} 边界"
