"""Picking a region by name, 拼音 or its initials, or from the tree; never by typing its code.

The chosen region is remembered in the session (``SESSION_KEY``), so a region picked on one page is the
default on the next: :func:`chosen_region` reads ``?region=`` first (and remembers it), then the session.
An explicit empty ``?region=`` forgets it. Only regions inside the user's own subtree are ever offered
or remembered.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.utils.html import format_html

from .models import Region, normalise_code

SESSION_KEY = "ylyx.region"
MAX_RESULTS = 20


@lru_cache(maxsize=50_000)
def spellings(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case without spaces: 乌拉特前旗 → ("wulateqianqi", "wltqq")."""
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def scope_prefix(user: Any) -> str:
    if getattr(user, "role", "") == "operator":
        return ""
    return getattr(user, "region_prefix", "") or ""


def in_scope(user: Any, region: Region | None) -> bool:
    prefix = scope_prefix(user)
    return region is not None and bool(prefix) and region.code.startswith(prefix)


def search(user: Any, q: str, limit: int = MAX_RESULTS) -> list[Region]:
    """Regions in the user's subtree whose name contains ``q``, or whose 拼音 or initials start with it.

    Exact name matches first, then by level (county before town before village) and code."""
    prefix = scope_prefix(user)
    q = (q or "").strip().lower().replace(" ", "")[:30]
    if not prefix or not q:
        return []
    rows = Region.objects.filter(code__startswith=prefix).only("code", "name", "level", "parent_id")
    if not q.isascii():
        hits = list(rows.filter(name__contains=q).order_by("level", "code")[:200])
    else:
        hits = []
        for r in rows.order_by("level", "code").iterator(chunk_size=2000):
            full, initials = spellings(r.name)
            if initials.startswith(q) or full.startswith(q) or (len(q) >= 2 and q in initials):
                hits.append(r)
    hits.sort(key=lambda r: (r.name.lower() != q, r.level, r.code))
    return hits[:limit]


def label_for(region: Region) -> str:
    """“乌拉特前旗 · 临河区” style: the name and its parent's, enough to tell two 新华村 apart."""
    parent = region.parent.name if region.parent_id and region.level >= 4 and region.parent else ""
    return f"{region.name}（{parent}）" if parent else region.name


def chosen_region(request, default: Region | None = None) -> Region | None:
    """The region this page should show: ``?region=`` (remembered), else the session's, else ``default``."""
    user = request.user
    session = getattr(request, "session", None)  # None for requests built outside the middleware (exports)
    if session is None:
        session = {}
    if "region" in request.GET:
        raw = request.GET.get("region", "").strip()
        if not raw:
            session.pop(SESSION_KEY, None)
            return default
        region = Region.objects.filter(code=normalise_code(raw)).first()
        if region is not None and in_scope(user, region):
            session[SESSION_KEY] = region.code
        return region
    code = session.get(SESSION_KEY)
    if code:
        region = Region.objects.filter(code=code).first()
        if region is not None and in_scope(user, region):
            return region
        session.pop(SESSION_KEY, None)
    return default


def remember(request, region: Region | None) -> None:
    if region is not None and in_scope(request.user, region) and hasattr(request, "session"):
        request.session[SESSION_KEY] = region.code


class RegionPicker(forms.Widget):
    """A hidden ``<input>`` carrying the 12-digit code, and a search box and tree that set it.

    The visible box has no ``name``: nothing typed into it is submitted; only a region picked from the
    suggestions or the tree is. Works without JavaScript as far as the current value goes."""

    template_name = "regions/picker.html"

    def __init__(self, attrs=None, *, allow_clear: bool = True):
        super().__init__(attrs)
        self.allow_clear = allow_clear

    def get_context(self, name, value, attrs):
        ctx = super().get_context(name, value, attrs)
        region = Region.objects.filter(code=normalise_code(str(value))).select_related("parent").first() \
            if value else None
        ctx["widget"].update({"region": region, "label": label_for(region) if region else "",
                              "allow_clear": self.allow_clear})
        return ctx

    @property
    def media(self):
        return forms.Media(js=["regions/picker.js"])


def picker_html(name: str, region: Region | None, field_id: str = "", allow_clear: bool = True) -> str:
    """The picker for hand-written forms (the dashboard, the map, the list pages)."""
    return RegionPicker(allow_clear=allow_clear).render(name, region.code if region else "",
                                                        attrs={"id": field_id or f"id_{name}"})


def script_tag() -> str:
    from django.templatetags.static import static

    return format_html('<script src="{}" defer></script>', static("regions/picker.js"))
