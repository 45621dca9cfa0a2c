import json
import re

from ylyx.imports import services
from ylyx.imports.models import ImportBatch

FULL_ID = re.compile(r"\d{17}[\dX]")


def upload(user, path, resource="elderly", **kw) -> ImportBatch:
    with open(path, "rb") as fh:
        return services.create_batch(user, fh, resource, **kw)


def commit(batch, user=None) -> ImportBatch:
    return services.request_commit(batch.pk, user or batch.uploader)


def issues(batch) -> set[tuple[int, str]]:
    return {(i.row, i.column) for i in batch.issues.filter(level="error")}


def messages(batch) -> dict[tuple[int, str], str]:
    return {(i.row, i.column): i.message for i in batch.issues.filter(level="error")}


def no_full_id(*values) -> bool:
    return not any(FULL_ID.search(json.dumps(v, ensure_ascii=False, default=str)) for v in values)
