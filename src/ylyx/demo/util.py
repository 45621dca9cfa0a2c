"""Small numeric and date helpers shared by the generators (no Django)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ylyx.core.validators import uscc_check_char

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_MAP = np.array(list("10X98765432"))
EPOCH = dt.date(1970, 1, 1)


def allocate(total: int, weights) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder, deterministic)."""
    w = np.asarray(weights, dtype=float)
    out = np.zeros(len(w), dtype=np.int64)
    if total <= 0 or len(w) == 0:
        return out
    if w.sum() <= 0:
        w = np.ones(len(w))
    q = w / w.sum() * total
    out = np.floor(q).astype(np.int64)
    rest = int(total - out.sum())
    if rest:
        idx = np.argsort(-(q - out), kind="stable")[:rest]
        out[idx] += 1
    return out


def allocate_capped(total: int, weights, caps) -> np.ndarray:
    """Like :func:`allocate`, but no share exceeds its cap (raises if the caps cannot hold ``total``)."""
    caps = np.asarray(caps, dtype=np.int64)
    if total > caps.sum():
        raise ValueError(f"cannot place {total} within caps summing to {caps.sum()}")
    w = np.asarray(weights, dtype=float).copy()
    out = np.zeros(len(caps), dtype=np.int64)
    left = total
    while left > 0:
        open_ = out < caps
        ww = np.where(open_, w, 0.0)
        if ww.sum() <= 0:
            ww = open_.astype(float)
        add = np.minimum(allocate(left, ww), caps - out)
        if add.sum() == 0:  # all remainders landed on full slots: take one at a time
            i = int(np.flatnonzero(open_)[0])
            add[i] = 1
        out += add
        left = total - int(out.sum())
    return out


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def from_day(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def to_dates(days: np.ndarray, nullable: bool = False) -> list:
    """Day numbers to date objects; with ``nullable``, -1 (used for dates after 1970 only) means None."""
    arr = np.asarray(days, dtype=np.int64)
    dates = list(arr.astype("datetime64[D]").astype(object))
    if nullable:
        dates = [None if n == -1 else d for d, n in zip(dates, arr, strict=False)]
    return dates


def to_iso(days: np.ndarray, nullable: bool = False) -> list:
    """Day numbers to ISO date strings (what the database stores); with ``nullable``, -1 means None."""
    arr = np.asarray(days, dtype=np.int64)
    out = np.datetime_as_string(arr.astype("datetime64[D]")).astype(object)
    if nullable:
        out[arr == -1] = None
    return list(out)


def year_start_days(years: np.ndarray) -> np.ndarray:
    return (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def random_days_in_years(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A uniformly random day (as day number) in each given calendar year."""
    start = year_start_days(years)
    length = year_start_days(np.asarray(years) + 1) - start
    return start + (rng.random(len(start)) * length).astype(np.int64)


def years_before(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def add_years(d: dt.date, years: int) -> dt.date:
    return years_before(d, -years)


def id_numbers(areas: list[str], birth_days: np.ndarray, male: np.ndarray, salt: int = 0) -> list[str]:
    """Checksum-valid, unique 身份证号 for fictitious people.

    The order code is the rank of the person among those with the same area, birth date and sex
    (odd for men, even for women), so numbers never collide within one call; callers keep birth-date
    ranges of different calls apart.
    """
    n = len(areas)
    if n == 0:
        return []
    area_codes, area_idx = np.unique(np.asarray(areas), return_inverse=True)
    key = (area_idx.astype(np.int64) * 200_000 + (birth_days.astype(np.int64) + 80_000)) * 2 + male.astype(np.int64)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    start = np.r_[True, sk[1:] != sk[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    offset = (birth_days.astype(np.int64) * 7 + area_idx * 13 + salt) % 97
    k = offset + rank + 1
    if (k > 499).any():
        raise ValueError("too many people share an area, birth date and sex")
    seq = np.where(male, 2 * k - 1, 2 * k)
    births = np.char.replace(np.datetime_as_string(birth_days.astype("datetime64[D]")), "-", "")
    bodies = [f"{a}{b}{s:03d}" for a, b, s in zip(area_codes[area_idx], births, seq, strict=False)]
    digits = np.frombuffer("".join(bodies).encode(), dtype=np.uint8).reshape(n, 17).astype(np.int64) - 48
    check = ID_MAP[(digits @ ID_WEIGHTS) % 11]
    return [b + c for b, c in zip(bodies, check, strict=False)]


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(prefix2: str, region6: str, serial: int) -> str:
    """A valid 统一社会信用代码: registration authority and type, region, a 9-character serial, check."""
    org = "MA" + "".join(USCC_CHARS[(serial // 31 ** i) % 31] for i in range(6, -1, -1))
    body = f"{prefix2}{region6}{org}"
    return body + uscc_check_char(body)
