import time, resource
from ylyx.imports import bench_support, services
from ylyx.people.models import ElderlyPerson
from .helpers import upload, commit

def test_bench(users, tmp_path, settings, monkeypatch):
    path = bench_support.make_workbook("elderly", 100_000, ["150802001001", "150802001", "150802"], tmp_path / "b.xlsx")
    settings.IMPORT_INLINE_MAX_BYTES = 10**9
    t = time.time()
    batch = upload(users["county_officer"], path)
    print("\nvalidate", round(time.time() - t, 1), batch.status, batch.rows_new)
    orig = services._write
    def timed(*a, **k):
        t0 = time.time(); r = orig(*a, **k); print("write txn", round(time.time() - t0, 1)); return r
    monkeypatch.setattr(services, "_write", timed)
    t = time.time()
    batch = commit(batch)
    print("commit total", round(time.time() - t, 1), batch.status, batch.rows_new, ElderlyPerson.objects.count())
    t = time.time()
    b2 = upload(users["county_officer"], path, force=True)
    print("validate again", round(time.time() - t, 1), b2.rows_unchanged)
    print("maxrss MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
