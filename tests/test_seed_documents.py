"""The plan library against the documents themselves (issue: every indicator row exactly as written).

000 and 001 are published in a mixed rendering (traditional characters with pinyin in brackets); they are
normalised the way the plan files were transcribed: pinyin dropped, OpenCC t2s conversion.
"""

import re
from pathlib import Path

import opencc
import pytest
import yaml
from django.conf import settings

PLANS = Path(settings.BASE_DIR) / "indicators" / "data" / "plans"
SEEDS = Path(settings.REPO_DIR).parent / "shared" / "seeds"
PINYIN = re.compile(r"\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]+)\)")
T2S = opencc.OpenCC("t2s")


def document_text(source_file: str, mixed: bool) -> str:
    path = SEEDS / source_file
    assert path.exists(), f"种子原文缺失：{path}"
    text = path.read_text(encoding="utf-8")
    if mixed:
        text = T2S.convert(PINYIN.sub("", text))
    return "".join(text.split())


def squash(s: str) -> str:
    return "".join(str(s).split())


def plan_files():
    return sorted(PLANS.glob("*.yaml"))


@pytest.mark.parametrize("path", plan_files(), ids=lambda p: p.stem)
def test_every_quote_and_table_cell_is_in_the_document(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = document_text(data["source_file"], bool(data.get("quote_note")))
    rows = data["indicators"]
    assert rows, path
    for row in rows:
        if row.get("quote"):
            assert squash(row["quote"]) in text, (data["code"], row["seq"], row["quote"])
        if row["source"] == "table":
            name = squash(row["name"])
            # table names keep their unit brackets; full- and half-width brackets both occur
            variants = {name, name.replace("(", "（").replace(")", "）"), name.replace("（", "(").replace("）", ")")}
            assert any(v in text for v in variants), (data["code"], row["seq"], row["name"])
            for cell in (row.get("baseline_text"), row.get("target_text")):
                if cell and cell != "—":
                    assert squash(cell) in text, (data["code"], row["seq"], cell)
    for fact in data.get("facts", []):
        if fact.get("quote"):
            assert squash(fact["quote"]) in text, (data["code"], fact["key"])


def test_table_row_counts():
    counts = {}
    for path in plan_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        counts[data["code"]] = sum(1 for r in data["indicators"] if r["source"] == "table")
    assert counts["bayannur-2021"] == 18
    assert counts["yaan-2022"] == 38
