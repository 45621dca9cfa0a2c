"""Indicator engine bench: a whole plan for every region of the demo city, and for a province.

City (SQLite, the full-scale demo DB): every row of the 巴彦淖尔 plan for every region (city, counties,
towns, villages) at 2020-12-31 and today, computed by the engine (one grouped query per source, rolled
up in NumPy), beside a naive loop that runs ORM queries per region and metric
(:mod:`ylyx.indicators.reference`); both must give equal numbers. Also ``plan_table`` (the dashboard's
call: trend 2020..now plus drill-down) at the city.

Province (PostgreSQL): the demo city's registry replicated under the 11 other Inner Mongolia city codes
with INSERT … SELECT into a separate database (``ylyx_bench_province``), then the province plan and
the city plan computed for every region.

Run: ``.venv/bin/python bench/bench_indicators.py [--no-province] [--no-city] [--no-naive]``, or
``bench/run.py --only indicators``. The city database is the benchmarks' (var/bench, see common.py),
built with ``manage.py build_demo --scale 1 --fresh`` when it holds no registry. The province database
URL comes from ``YLYX_BENCH_PG`` (default postgres://postgres@127.0.0.1:5432/ylyx_bench_province).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import common  # noqa: E402  (bench/ is on sys.path: run.py puts it there, and so does running this file)

REPO = common.ROOT
SRC = REPO / "src"
PYTHON = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/ylyx_bench_province"
CITY = "150800000000"
# The other 11 cities (盟) of Inner Mongolia: the province variant puts a copy of the demo city at each.
OTHER_CITIES = ["1501", "1502", "1503", "1504", "1505", "1506", "1507", "1509", "1522", "1525", "1529"]
BASE_DATES = [dt.date(2020, 12, 31)]


def setup_django() -> None:
    """Standalone use: the bench database (var/bench, see common.py) unless Django is already set up."""
    from django.apps import apps

    if not apps.ready:
        common.setup_django()


def manage(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    return subprocess.run([PYTHON, str(REPO / "manage.py"), *args], env=e, check=True, text=True,
                          capture_output=True)


def ensure_demo(env: dict | None = None) -> None:
    """Build the full-scale demo when the database has no registry yet; load the seed plans either way."""
    from django.db import connection

    from ylyx.indicators.services import load_seed_plans
    from ylyx.institutions.models import Institution

    try:
        has_registry = Institution.objects.filter(region__code__startswith="1508").exists()
    except Exception:  # noqa: BLE001 - no tables yet
        has_registry = False
    if not has_registry:
        print("  演示库为空，正在生成全量演示城市（build_demo --scale 1 --fresh），需要几分钟…", flush=True)
        connection.close()
        manage("build_demo", "--scale", f"{common.SCALE:g}", "--fresh", env=env)
    load_seed_plans()


def table_sizes(tables: list[str]) -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for t in tables:
            cur.execute(f'SELECT COUNT(*) FROM "{t}"')  # noqa: S608 - table names are constants
            out[t] = cur.fetchone()[0]
    return out


TABLES = ["regions_region", "regions_populationstat", "institutions_institution", "institutions_capacityrecord",
          "institutions_filing", "people_elderlyperson", "people_residence", "people_infant", "people_enrolment",
          "workforce_practitioner", "workforce_employment", "workforce_certificate", "workforce_trainingrecord"]


class QueryCounter:
    """Counts the queries run inside ``with connection.execute_wrapper(counter)``."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def count_queries(fn):
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        result = fn()
    return counter.n, result


def timed(fn, repeat: int = 3):
    """Best of ``repeat`` runs (the first one warms caches); returns (seconds, result)."""
    best, result = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    return best, result


def naive_values(plan, root_code: str, on: dt.date) -> dict[str, dict[str, float | None]]:
    """The same numbers, the slow way: ORM queries for every region, row and metric."""
    from ylyx.core.scoping import prefix_q
    from ylyx.indicators import reference
    from ylyx.indicators.selectors import definition_of
    from ylyx.regions.models import Region

    root = Region.objects.get(code=root_code)
    rows = [(pi.key, definition_of(pi)) for pi in plan.indicators.select_related("definition")]
    out: dict[str, dict[str, float | None]] = {}
    for region in Region.objects.filter(prefix_q("code", root.prefix)).order_by("code"):
        out[region.code] = {key: reference.value(d.code, region, on) for key, d in rows if d is not None}
    return out


def compare(fast: dict, slow: dict) -> tuple[int, list[str]]:
    n, diffs = 0, []
    for code, vals in slow.items():
        for key, v in vals.items():
            n += 1
            w = fast.get(code, {}).get(key)
            if (v is None) != (w is None) or (v is not None and abs(v - w) > 1e-9):
                diffs.append(f"{code} {key}: 引擎 {w} ≠ 逐区划 {v}")
    return n, diffs


def city_bench(naive: bool = True) -> dict:
    from django.db import connection
    from django.utils import timezone

    from ylyx.indicators.models import Plan
    from ylyx.indicators.selectors import plan_table, plan_values
    from ylyx.regions.models import Region

    plan = Plan.objects.get(code="bayannur-2021")
    computed = [pi.key for pi in plan.indicators.select_related("definition") if pi.is_computed]
    regions = Region.objects.filter(code__startswith="1508").count()
    by_level = {lv: Region.objects.filter(code__startswith="1508", level=lv).count() for lv in (2, 3, 4, 5)}
    sizes = table_sizes(TABLES)
    result: dict = {"db": connection.vendor, "regions": regions, "regions_by_level": by_level, "sizes": sizes,
                    "computed_rows": len(computed), "plan_rows": plan.indicators.count()}
    print(f"\n== 城市：巴彦淖尔市全量演示库（{connection.vendor}）==")
    print("  表行数：" + "，".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in sizes.items()))
    print(f"  区划 {regions} 个（市 {by_level[2]}、旗县区 {by_level[3]}、乡镇街道 {by_level[4]}、村社区 {by_level[5]}）；"
          f"规划“{plan.title}”{result['plan_rows']} 项指标，其中系统计算 {len(computed)} 项")
    for on in BASE_DATES + [timezone.localdate()]:
        n_queries, _ = count_queries(lambda on=on: plan_values(plan, CITY, on))
        t_all, fast = timed(lambda on=on: plan_values(plan, CITY, on))
        t_table, table = timed(lambda on=on: plan_table(plan, CITY, on, with_breakdown=True))
        line = {"on": on.isoformat(), "engine_all_regions_s": round(t_all, 4), "engine_queries": n_queries,
                "plan_table_s": round(t_table, 4), "plan_table_trend_years": len(table.rows[0].trend)}
        print(f"  {on}：全部 {regions} 个区划 × {len(computed)} 项 引擎 {t_all * 1000:.0f} ms（{n_queries} 条查询）；"
              f"plan_table（含 {line['plan_table_trend_years']} 年趋势与下级 {len(table.breakdown)} 个区划）"
              f"{t_table * 1000:.0f} ms")
        if naive:
            t0 = time.perf_counter()
            n_naive, slow = count_queries(lambda on=on: naive_values(plan, CITY, on))
            t_naive = time.perf_counter() - t0
            n, diffs = compare(fast, slow)
            line.update(naive_s=round(t_naive, 3), naive_queries=n_naive, values_compared=n,
                        mismatches=len(diffs), ratio=round(t_naive / t_all, 1))
            print(f"    逐区划 ORM 循环 {t_naive:.2f} s（{n_naive:,} 条查询），"
                  f"慢 {t_naive / t_all:.0f} 倍；比对 {n} 个数值，不一致 {len(diffs)} 个")
            for d in diffs[:10]:
                print("      " + d)
        result.setdefault("runs", []).append(line)
    city_row = {r.key: r.value for r in plan_table(plan, CITY, dt.date(2020, 12, 31), with_breakdown=False).rows}
    result["city_2020"] = {k: city_row[k] for k in computed}
    print("  2020-12-31 全市：" + "，".join(f"{k}={v}" for k, v in result["city_2020"].items()))
    return result


# ---------------------------------------------------------------------------------------------------
# province on PostgreSQL


def _pg_admin(url: str):
    import psycopg

    base, _, dbname = url.rpartition("/")
    return psycopg.connect(f"{base}/postgres", autocommit=True), dbname


def ensure_pg_database(url: str) -> bool:
    """Create the province database if needed; False when PostgreSQL is not reachable."""
    try:
        conn, name = _pg_admin(url)
    except Exception as e:  # noqa: BLE001
        print(f"  PostgreSQL 不可用（{e.__class__.__name__}），跳过省级规模测试")
        return False
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return True


# Tables copied per city: (table, id-bearing foreign keys, region-code columns, columns made unique again)
REPLICATE = [
    ("institutions_institution", [], ["region_id"], {"uscc": "CASE WHEN uscc = '' THEN '' ELSE "
                                                             "left(uscc, 2) || %(p)s || substr(uscc, 7) END"}),
    ("institutions_capacityrecord", ["institution_id"], ["region_id"], {}),
    ("institutions_childcareclass", ["institution_id"], [], {}),
    ("institutions_filing", ["institution_id"], [], {"number": "CASE WHEN number = '' THEN '' ELSE "
                                                               "number || '-' || %(p)s END"}),
    ("people_elderlyperson", [], ["region_id"], {"id_bidx": "CASE WHEN id_bidx = '' THEN '' ELSE "
                                                            "%(p)s || left(id_bidx, 60) END"}),
    ("people_residence", ["person_id", "institution_id"], ["region_id"], {}),
    ("people_infant", [], ["region_id"], {"id_bidx": "CASE WHEN id_bidx = '' THEN '' ELSE "
                                                     "%(p)s || left(id_bidx, 60) END"}),
    ("people_enrolment", ["infant_id", "institution_id", "childcare_class_id"], ["region_id"], {}),
    ("workforce_practitioner", ["institution_id"], ["region_id"], {"id_bidx": "CASE WHEN id_bidx = '' THEN '' "
                                                                              "ELSE %(p)s || left(id_bidx, 60) END"}),
    ("workforce_certificate", ["practitioner_id"], [], {}),
    ("workforce_trainingrecord", ["practitioner_id"], [], {}),
    ("workforce_employment", ["practitioner_id", "institution_id"], [], {}),
]
FK_TARGET = {"institution_id": "institutions_institution", "person_id": "people_elderlyperson",
             "infant_id": "people_infant", "childcare_class_id": "institutions_childcareclass",
             "practitioner_id": "workforce_practitioner"}


def replicate(url: str) -> dict:
    """Copy the demo city's rows under each other city prefix (ids shifted by a per-table offset)."""
    import psycopg

    with psycopg.connect(url) as conn:
        cur = conn.cursor()
        done = cur.execute("SELECT count(*) FROM institutions_institution WHERE left(region_id, 4) = '1501'").fetchone()[0]
        if done:
            print("  省级副本已存在，跳过复制")
            return {}
        offsets = {}
        for table, _, _, _ in REPLICATE:
            offsets[table] = (cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0] // 1000 + 1) * 1000  # noqa: S608
        cols_of = {}
        for table, _, _, _ in REPLICATE:
            cols_of[table] = [r[0] for r in cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                [table]).fetchall()]
        t0 = time.perf_counter()

        def code(col: str) -> str:
            return f"CASE WHEN left({col}, 4) = '1508' THEN %(p)s || substr({col}, 5) ELSE {col} END"

        for k, prefix in enumerate(OTHER_CITIES, start=1):
            params = {"p": prefix}
            # regions and population: the demo's towns and villages, and any county code the real tree lacks
            cur.execute(f"""
                INSERT INTO regions_region (code, name, level, parent_id, kind, urban, is_synthetic, valid_from,
                                            valid_to, replaced_by_id, centroid_lat, centroid_lon)
                SELECT {code('code')}, name, level, {code('parent_id')}, kind, urban, TRUE, valid_from, valid_to,
                       NULL, centroid_lat, centroid_lon
                FROM regions_region WHERE left(code, 4) = '1508' AND level >= 3 ORDER BY level, code
                ON CONFLICT (code) DO NOTHING""", params)  # noqa: S608
            cur.execute(f"""
                INSERT INTO regions_populationstat (region_id, year, total, households, aged_60, aged_65, aged_80,
                                                    under_3, births, source)
                SELECT {code('region_id')}, year, total, households, aged_60, aged_65, aged_80, under_3, births,
                       '演示数据：省级规模测试副本'
                FROM regions_populationstat WHERE left(region_id, 4) = '1508'
                ON CONFLICT DO NOTHING""", params)  # noqa: S608
            for table, fks, regcols, unique in REPLICATE:
                cols = cols_of[table]
                exprs = []
                for c in cols:
                    if c == "id":
                        exprs.append(f"id + {offsets[table] * k}")
                    elif c in fks:
                        exprs.append(f"{c} + {offsets[FK_TARGET[c]] * k}")
                    elif c in regcols:
                        exprs.append(code(c))
                    elif c in unique:
                        exprs.append(unique[c])
                    else:
                        exprs.append(c)
                # before the first copy the database holds the demo city only: the originals are id < offset
                cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "  # noqa: S608
                            f"FROM {table} WHERE id < {offsets[table]}", params)
            conn.commit()
            print(f"    已复制到 {prefix}00（{k}/{len(OTHER_CITIES)}），累计 {time.perf_counter() - t0:.0f} s", flush=True)
        for table, _, _, _ in REPLICATE:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        conn.commit()
        conn.autocommit = True
        for t in TABLES + ["institutions_childcareclass"]:
            cur.execute(f"ANALYZE {t}")
        return {"replicate_s": round(time.perf_counter() - t0, 1)}


def province_worker() -> dict:
    """Runs inside a process whose DATABASE_URL is the province database."""

    from ylyx.indicators.models import Plan
    from ylyx.indicators.selectors import plan_table, plan_values
    from ylyx.regions.models import Region

    on = dt.date(2020, 12, 31)
    out: dict = {"sizes": table_sizes(TABLES)}
    out["regions_by_level"] = {lv: Region.objects.filter(code__startswith="15", level=lv).count()
                               for lv in (1, 2, 3, 4, 5)}
    prov = Plan.objects.get(code="neimenggu-2021")
    city = Plan.objects.get(code="bayannur-2021")
    out["province_plan_queries"], _ = count_queries(lambda: plan_values(prov, "150000000000", on))
    t, vals = timed(lambda: plan_values(prov, "150000000000", on))
    out["province_plan_all_regions_s"] = round(t, 3)
    out["province_plan_regions"] = len(vals)
    t, table = timed(lambda: plan_table(prov, "150000000000", on, with_breakdown=True))
    out["province_plan_table_s"] = round(t, 3)
    out["province_breakdown"] = len(table.breakdown)
    out["province_values"] = {r.key: r.value for r in table.rows if r.kind == "computed"}
    t, vals = timed(lambda: plan_values(city, CITY, on))
    out["city_plan_all_regions_s"] = round(t, 3)
    t, _ = timed(lambda: plan_table(city, CITY, on, with_breakdown=True))
    out["city_plan_table_s"] = round(t, 3)
    t, _ = timed(lambda: plan_table(city, "150802000000", on, with_breakdown=True))
    out["county_plan_table_s"] = round(t, 3)
    # 赤峰's plan (workforce, coverage and ratio rows) on its replica city, and the province at today with trend
    chifeng = Plan.objects.get(code="chifeng-2022")
    t, vals = timed(lambda: plan_values(chifeng, "150400000000", on))
    out["chifeng_plan_all_regions_s"] = round(t, 3)
    out["chifeng_regions"] = len(vals)
    today = dt.date.today()
    t, table = timed(lambda: plan_table(chifeng, "150400000000", today, with_breakdown=True))
    out["chifeng_plan_table_today_s"] = round(t, 3)
    out["chifeng_trend_years"] = len(table.rows[0].trend)
    t, table = timed(lambda: plan_table(prov, "150000000000", today, with_breakdown=True))
    out["province_plan_table_today_s"] = round(t, 3)
    return out


def province_bench(url: str | None = None) -> dict | None:
    url = url or os.environ.get("YLYX_BENCH_PG", DEFAULT_PG)
    print(f"\n== 省级规模（PostgreSQL，{url.rsplit('/', 1)[-1]}）==")
    if not ensure_pg_database(url):
        return None
    env = {"DATABASE_URL": url, "BENCH_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ylyx.settings.dev"}
    probe = subprocess.run([PYTHON, __file__, "--probe"], env={**os.environ, **env, "PYTHONPATH": str(SRC)},
                           text=True, capture_output=True)
    built = probe.returncode == 0 and probe.stdout.strip().endswith("yes")
    timings: dict = {}
    if not built:
        print("  省级库无演示数据：生成巴彦淖尔全量演示城市（PostgreSQL）…", flush=True)
        t0 = time.perf_counter()
        manage("build_demo", "--scale", f"{common.SCALE:g}", "--fresh", env=env)
        timings["build_demo_s"] = round(time.perf_counter() - t0, 1)
    manage("load_plans", env=env)
    timings.update(replicate(url))
    res = subprocess.run([PYTHON, __file__, "--province-worker"], env={**os.environ, **env, "PYTHONPATH": str(SRC)},
                         text=True, capture_output=True)
    if res.returncode != 0:
        print(res.stderr[-3000:])
        raise RuntimeError("province worker failed")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out.update(timings)
    s = out["sizes"]
    print("  表行数：" + "，".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in s.items()))
    lv = out["regions_by_level"]
    print(f"  区划：省 {lv['1']}、市 {lv['2']}、旗县区 {lv['3']}、乡镇街道 {lv['4']}、村社区 {lv['5']}")
    print(f"  自治区规划（{out['province_plan_regions']} 个区划全部计算）{out['province_plan_all_regions_s'] * 1000:.0f} ms"
          f"（{out['province_plan_queries']} 条查询）；自治区 plan_table（含趋势、下级 {out['province_breakdown']} 个盟市）"
          f"{out['province_plan_table_s'] * 1000:.0f} ms")
    print(f"  巴彦淖尔规划：全市所有区划 {out['city_plan_all_regions_s'] * 1000:.0f} ms；全市 plan_table "
          f"{out['city_plan_table_s'] * 1000:.0f} ms；一个旗县区 plan_table {out['county_plan_table_s'] * 1000:.0f} ms")
    print(f"  赤峰规划（赤峰副本 {out['chifeng_regions']} 个区划全部计算）{out['chifeng_plan_all_regions_s'] * 1000:.0f} ms；"
          f"赤峰 plan_table 今天（{out['chifeng_trend_years']} 年趋势）{out['chifeng_plan_table_today_s'] * 1000:.0f} ms；"
          f"自治区 plan_table 今天 {out['province_plan_table_today_s'] * 1000:.0f} ms")
    print("  自治区 2020-12-31：" + "，".join(f"{k}={v}" for k, v in out["province_values"].items()))
    return out


def run(province: bool | None = None, naive: bool = True, city: bool = True) -> dict:
    """What bench/run.py calls. The province variant runs when PostgreSQL is reachable (BENCH_PROVINCE=0 skips
    it); its first run builds and replicates the province database (about ten minutes, 6.5 GB)."""
    setup_django()
    if province is None:
        province = os.environ.get("BENCH_PROVINCE", "1") != "0"
    out: dict = {}
    if city:
        ensure_demo()
        out["city"] = city_bench(naive=naive)
    if province:
        out["province"] = province_bench()
    return out


def _probe() -> None:
    setup_django()
    from ylyx.institutions.models import Institution

    try:
        print("yes" if Institution.objects.filter(region__code__startswith="1508").exists() else "no")
    except Exception:  # noqa: BLE001
        print("no")


if __name__ == "__main__":
    if "--probe" in sys.argv:
        _probe()
    elif "--province-worker" in sys.argv:
        setup_django()
        print(json.dumps(province_worker(), ensure_ascii=False, default=str))
    else:
        result = run(province="--no-province" not in sys.argv, naive="--no-naive" not in sys.argv,
                     city="--no-city" not in sys.argv)
        out = common.OUT / "indicators.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        out.write_text(json.dumps({**old, **result}, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        print(f"\n结果已写入 {out}")
