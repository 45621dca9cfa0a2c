"""The verifiable 双随机 draw: targets and inspectors drawn from frozen pools by a published seed.

Plain Python (standard library only), so anyone can re-run it: ``python -m ylyx.supervision.draw draw.json``
checks a published draw document offline. docs/supervision-draw.md describes the algorithm step by step
for re-implementation in another language.

Protocol (the platform side is ``services.task_commit`` / ``services.task_draw``):

1. **Commit.** The pools are frozen as canonical JSON and hashed; a 32-byte random seed is generated and
   kept secret; ``commitment = SHA-256(seed)`` is published with the pool and parameter hashes, with a
   timestamp in the audit trail. One commitment per task; it cannot be replaced.
2. **Draw.** Later, optionally with a *witness* string typed in at the draw (e.g. a number read out by a
   notary), the seed is revealed and the result computed. The platform chose the seed before the witness
   was known, so it cannot grind seeds for a wanted result.
3. **Verify.** Anyone checks SHA-256(seed) = commitment, the three hashes, and that :func:`draw` on the
   published pools gives the published result.

The draw is a deterministic function of (seed, witness, pools, parameters):

* key = HMAC-SHA256(seed, "ylyx-draw-v1\\n" + targets_sha256 + "\\n" + inspectors_sha256 + "\\n" +
  params_sha256 + "\\n" + witness): every pool entry and parameter moves every random number.
* stream(label): blocks HMAC-SHA256(key, label ‖ 0x00 ‖ counter as 8-byte big-endian), counter 0, 1, …;
  each 32-byte block gives four 64-bit big-endian integers x, each a uniform number u = (x >> 11) / 2^53.
* Targets, per credit class c (A, B, C, D, in that order), stream "class:c": p = min(1, ratio × weight[c])
  in exact decimals; quota = N_c × p; k = floor(quota), plus one more if the first number's 53-bit integer
  m satisfies m < frac(quota) × 2^53 (randomised rounding, so every member's chance is exactly p). Forced
  targets (newly opened, complaint upheld) are all taken and count against the quota; the rest of the
  quota goes to the non-forced members with the smallest (u, id), one u per member in ascending id.
* Inspectors, stream "inspectors": for each selected target in ascending id, the eligible inspectors
  (qualified for the target's domain, not recused for it, not of its county when the plan recuses the
  employer's region), in ascending id, each get a u; the ``inspectors_per_target`` with the smallest
  (assignments so far, u, id) are assigned. Fewer eligible than needed is an error, never a short team.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ALGORITHM = "ylyx-draw-v1"
DOCUMENT_FORMAT = "ylyx-draw-document-v1"
CLASSES = ("A", "B", "C", "D")
TWO53 = 1 << 53
_INV53 = 1.0 / TWO53  # a power of two: m * _INV53 == m / 2**53 exactly
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class DrawError(ValueError):
    """A draw that cannot be made as the plan asks (too few inspectors, bad parameters); Chinese message."""


# ---------------------------------------------------------------------------------------------------
# canonical data


def canonical(obj: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 without escapes: the bytes that are hashed and published."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment_of(seed_hex: str) -> str:
    return sha256_hex(bytes.fromhex(seed_hex))


@dataclass(frozen=True)
class Target:
    id: int
    name: str
    region: str  # 12-digit code
    domain: str  # "elder" or "childcare": which inspectors are qualified
    credit_class: str = "B"
    kind: str = ""
    code: str = ""  # 统一社会信用代码 when known
    forced: str = ""  # why the target is in regardless of chance ("新开业", "投诉属实"), "" otherwise

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "name": self.name, "region": self.region, "kind": self.kind,
                "domain": self.domain, "credit_class": self.credit_class, "forced": self.forced}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Target:
        return cls(int(d["id"]), str(d["name"]), str(d["region"]), str(d["domain"]), str(d["credit_class"]),
                   str(d.get("kind", "")), str(d.get("code", "")), str(d.get("forced", "")))


@dataclass(frozen=True)
class Inspector:
    id: int
    code: str  # the public roster code; names and phone numbers are not part of the draw
    department: str
    region: str  # the employer's region, 12-digit
    domains: tuple[str, ...] = ("elder", "childcare")
    recused: tuple[int, ...] = ()  # target ids: declared conflicts and the institution inspected last time

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "department": self.department, "region": self.region,
                "domains": sorted(self.domains), "recused": sorted(set(self.recused))}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Inspector:
        return cls(int(d["id"]), str(d["code"]), str(d["department"]), str(d["region"]),
                   tuple(d.get("domains", ())), tuple(int(x) for x in d.get("recused", ())))


@dataclass(frozen=True)
class Params:
    ratio: Decimal  # base sampling ratio, e.g. 0.20
    weights: Mapping[str, Decimal]  # multiplier per credit class (standards.md §4.3; configurable)
    inspectors_per_target: int = 2
    recuse_employer_region: bool = False
    employer_prefix_len: int = 6  # "region" of an employer = its county (first 6 digits of the code)

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": ALGORITHM, "ratio": str(self.ratio),
                "weights": {c: str(self.weights[c]) for c in CLASSES},
                "inspectors_per_target": self.inspectors_per_target,
                "recuse_employer_region": self.recuse_employer_region,
                "employer_prefix_len": self.employer_prefix_len}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Params:
        if d.get("algorithm", ALGORITHM) != ALGORITHM:
            raise DrawError(f"不支持的抽取算法：{d.get('algorithm')}")
        return cls(Decimal(str(d["ratio"])), {c: Decimal(str(d["weights"][c])) for c in CLASSES},
                   int(d["inspectors_per_target"]), bool(d["recuse_employer_region"]),
                   int(d.get("employer_prefix_len", 6)))

    def check(self) -> None:
        if not Decimal(0) < self.ratio <= Decimal(1):
            raise DrawError(f"抽查比例应大于 0、不超过 100%（当前 {self.ratio}）")
        for c in CLASSES:
            if c not in self.weights or self.weights[c] < 0:
                raise DrawError(f"信用等级 {c} 的抽查权重应为不小于 0 的数")
        if self.inspectors_per_target < 2:
            raise DrawError("每个检查对象至少应派 2 名检查人员")


@dataclass(frozen=True)
class Pools:
    """The frozen inputs with their canonical bytes and hashes, computed once."""

    targets: tuple[Target, ...]
    inspectors: tuple[Inspector, ...]
    params: Params
    targets_json: bytes = field(repr=False, default=b"")
    inspectors_json: bytes = field(repr=False, default=b"")
    params_json: bytes = field(repr=False, default=b"")

    @classmethod
    def freeze(cls, targets: Iterable[Target], inspectors: Iterable[Inspector], params: Params) -> Pools:
        ts = tuple(sorted(targets, key=lambda t: t.id))
        ins = tuple(sorted(inspectors, key=lambda i: i.id))
        if len({t.id for t in ts}) != len(ts):
            raise DrawError("检查对象名录中有重复的对象编号")
        if len({i.id for i in ins}) != len(ins):
            raise DrawError("检查人员名录中有重复的人员编号")
        for t in ts:
            if t.credit_class not in CLASSES:
                raise DrawError(f"检查对象“{t.name}”的信用等级“{t.credit_class}”无效（应为 A/B/C/D）")
        params.check()
        return cls(ts, ins, params, canonical([t.to_dict() for t in ts]), canonical([i.to_dict() for i in ins]),
                   canonical(params.to_dict()))

    def eligible_for(self, target: Target) -> list[int]:
        """Ids (ascending) of the inspectors who may inspect ``target``; fixed by the pools, so cached."""
        cache = self.__dict__.setdefault("_eligible", {})
        ids = cache.get(target.id)
        if ids is None:
            ids = cache[target.id] = [i.id for i in self.inspectors if eligible(i, target, self.params)]
        return ids

    @property
    def targets_sha256(self) -> str:
        return sha256_hex(self.targets_json)

    @property
    def inspectors_sha256(self) -> str:
        return sha256_hex(self.inspectors_json)

    @property
    def params_sha256(self) -> str:
        return sha256_hex(self.params_json)


# ---------------------------------------------------------------------------------------------------
# the random stream


def derive_key(seed_hex: str, pools: Pools, witness: str = "") -> bytes:
    msg = "\n".join([ALGORITHM, pools.targets_sha256, pools.inspectors_sha256, pools.params_sha256, witness])
    return hmac.new(bytes.fromhex(seed_hex), msg.encode("utf-8"), hashlib.sha256).digest()


class Stream:
    """Uniform numbers from HMAC-SHA256(key, label ‖ 0x00 ‖ counter); four per block, bytes 0–7 first."""

    def __init__(self, key: bytes, label: str):
        # HMAC by hand (RFC 2104) so each block costs two hash copies, not a new HMAC object
        k = key.ljust(64, b"\x00")
        self._inner = hashlib.sha256(k.translate(_IPAD) + label.encode("utf-8") + b"\x00")
        self._outer = hashlib.sha256(k.translate(_OPAD))
        self._counter = 0
        self._buf: list[int] = []  # 53-bit integers not yet used, in order

    def _blocks(self, n: int) -> list[int]:
        inner, outer, c = self._inner, self._outer, self._counter
        parts = []
        for j in range(c, c + n):
            h = inner.copy()
            h.update(j.to_bytes(8, "big"))
            o = outer.copy()
            o.update(h.digest())
            parts.append(o.digest())
        self._counter = c + n
        return [x >> 11 for x in struct.unpack(f">{4 * n}Q", b"".join(parts))]

    def take_int53(self, n: int) -> list[int]:
        """The next ``n`` 53-bit integers m; u = m / 2^53."""
        if len(self._buf) < n:
            self._buf += self._blocks((n - len(self._buf) + 3) // 4)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def next_int53(self) -> int:
        return self.take_int53(1)[0]

    def take(self, n: int) -> list[float]:
        """The next ``n`` uniform numbers in [0, 1), as ``n`` calls of :meth:`next` would give them."""
        return [m * _INV53 for m in self.take_int53(n)]

    def next(self) -> float:
        return self.next_int53() * _INV53


# ---------------------------------------------------------------------------------------------------
# the draw


@dataclass(frozen=True)
class Selected:
    target: int
    credit_class: str
    forced: str
    inspectors: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "credit_class": self.credit_class, "forced": self.forced,
                "inspectors": list(self.inspectors)}


@dataclass(frozen=True)
class Result:
    selected: tuple[Selected, ...]
    by_class: Mapping[str, tuple[int, int]]  # class → (pool size, selected)

    def to_dict(self) -> dict[str, Any]:
        return {"selected": [s.to_dict() for s in self.selected],
                "by_class": {c: {"pool": n, "selected": k} for c, (n, k) in sorted(self.by_class.items())}}

    @property
    def sha256(self) -> str:
        return sha256_hex(canonical(self.to_dict()))


def class_probability(params: Params, c: str) -> Decimal:
    return min(Decimal(1), params.ratio * params.weights[c])


def _quota(n: int, p: Decimal, stream: Stream) -> int:
    exact = Decimal(n) * p
    k = int(exact)  # floor: exact >= 0
    num, den = (exact - k).as_integer_ratio()
    if num and stream.next_int53() * den < num * TWO53:
        k += 1
    elif not num:
        stream.next_int53()  # the rounding number is always consumed, so the stream layout never varies
    return k


def recused(inspector: Inspector, target: Target, params: Params) -> bool:
    """Declared conflict or last time's inspector; the employer's county when the plan says so."""
    if target.id in inspector.recused:
        return True
    if params.recuse_employer_region:
        n = params.employer_prefix_len
        own = inspector.region[:n]
        # an employer above county level (a city bureau: code ending in 00) covers every county, so its
        # region is no conflict; a county bureau's inspectors stay out of their own county
        if not own.endswith("00") and target.region[:n] == own:
            return True
    return False


def eligible(inspector: Inspector, target: Target, params: Params) -> bool:
    return target.domain in inspector.domains and not recused(inspector, target, params)


def draw(seed_hex: str, pools: Pools, witness: str = "") -> Result:
    key = derive_key(seed_hex, pools, witness)
    params = pools.params
    picked: list[Target] = []
    by_class: dict[str, tuple[int, int]] = {}
    for c in CLASSES:
        members = [t for t in pools.targets if t.credit_class == c]
        stream = Stream(key, f"class:{c}")
        k = _quota(len(members), class_probability(params, c), stream)
        forced = [t for t in members if t.forced]
        free = [t for t in members if not t.forced]
        rest = list(zip(stream.take(len(free)), [t.id for t in free], free, strict=True))
        rest.sort(key=lambda x: (x[0], x[1]))
        chosen = forced + [t for _, _, t in rest[:max(0, k - len(forced))]]
        by_class[c] = (len(members), len(chosen))
        picked += chosen
    picked.sort(key=lambda t: t.id)
    stream = Stream(key, "inspectors")
    load = {i.id: 0 for i in pools.inspectors}
    m = params.inspectors_per_target
    out = []
    for t in picked:
        ids = pools.eligible_for(t)
        cands = [(load[i], u, i) for i, u in zip(ids, stream.take(len(ids)), strict=True)]
        if len(cands) < m:
            raise DrawError(f"检查对象“{t.name}”可派检查人员不足 {m} 人（符合资格且无需回避的只有 {len(cands)} 人）")
        cands.sort()
        team = tuple(sorted(x[2] for x in cands[:m]))
        for i in team:
            load[i] += 1
        out.append(Selected(t.id, t.credit_class, t.forced, team))
    return Result(tuple(out), by_class)


# ---------------------------------------------------------------------------------------------------
# the published document and its verification


def document(*, task: Mapping[str, Any], pools: Pools, commitment: str, committed_at: str, seed: str = "",
             witness: str = "", drawn_at: str = "", result: Result | None = None) -> dict[str, Any]:
    """What the public page shows and offers as JSON; before the draw, seed and result are empty."""
    return {
        "format": DOCUMENT_FORMAT, "algorithm": ALGORITHM, "task": dict(task),
        "commitment": commitment, "committed_at": committed_at,
        "seed": seed, "witness": witness, "drawn_at": drawn_at,
        "params": json.loads(pools.params_json), "params_sha256": pools.params_sha256,
        "targets": json.loads(pools.targets_json), "targets_sha256": pools.targets_sha256,
        "inspectors": json.loads(pools.inspectors_json), "inspectors_sha256": pools.inspectors_sha256,
        "result": result.to_dict() if result is not None else None,
        "result_sha256": result.sha256 if result is not None else "",
    }


def pools_from_document(doc: Mapping[str, Any]) -> Pools:
    return Pools.freeze([Target.from_dict(t) for t in doc["targets"]],
                        [Inspector.from_dict(i) for i in doc["inspectors"]], Params.from_dict(doc["params"]))


def verify_document(doc: Mapping[str, Any]) -> list[str]:
    """Every check an outsider makes; an empty list means the draw is verified. Messages in Chinese."""
    problems: list[str] = []
    if doc.get("format") != DOCUMENT_FORMAT:
        return [f"文件格式不是 {DOCUMENT_FORMAT}"]
    seed = str(doc.get("seed") or "")
    if not seed:
        return ["尚未抽取：种子未公布，只能核对承诺值和名录摘要"]
    try:
        if commitment_of(seed) != doc.get("commitment"):
            problems.append("种子的 SHA-256 与抽取前公布的承诺值不一致")
    except ValueError:
        return ["种子不是有效的十六进制数"]
    try:
        pools = pools_from_document(doc)
    except (DrawError, KeyError, ValueError, TypeError) as exc:
        return problems + [f"名录或参数无法读取：{exc}"]
    for name, got in (("targets", pools.targets_sha256), ("inspectors", pools.inspectors_sha256),
                      ("params", pools.params_sha256)):
        label = {"targets": "检查对象名录", "inspectors": "检查人员名录", "params": "抽取参数"}[name]
        if doc.get(f"{name}_sha256") != got:
            problems.append(f"{label}的 SHA-256 与公布值不一致（名录被改动过）")
    try:
        result = draw(seed, pools, str(doc.get("witness") or ""))
    except DrawError as exc:
        return problems + [f"按公布数据无法复算：{exc}"]
    if canonical(result.to_dict()) != canonical(doc.get("result")):
        problems.append("按公布的种子和名录复算的抽取结果与公布结果不一致")
    if doc.get("result_sha256") != result.sha256:
        problems.append("抽取结果的 SHA-256 与公布值不一致")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ylyx.supervision.draw draw.json``: verify a downloaded draw document, no database needed."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("用法：python -m ylyx.supervision.draw 抽取文件.json", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        doc = json.load(fh)
    problems = verify_document(doc)
    for p in problems:
        print(f"✗ {p}")
    if not problems:
        n = len(doc["result"]["selected"])
        print(f"✓ 核验通过：承诺值、名录摘要和抽取结果一致（抽中 {n} 个检查对象）")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
