"""Region navigation and picking: the lazy tree (htmx), name/拼音 search and children as JSON.

Only nodes inside the user's own scope are served; an operator (scoped to an institution) gets none.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render

from .models import Region
from .picking import label_for, scope_prefix, search


@login_required
def tree(request):
    user = request.user
    prefix = user.region_prefix
    code = request.GET.get("parent", "")
    node = Region.objects.filter(code=code).first()
    if node is None or not prefix or not node.code.startswith(prefix):
        raise Http404
    children = list(node.children.order_by("code")) if node.level < 5 else []
    return render(request, "regions/tree.html", {"node": node, "children": children})


def _item(r: Region) -> dict:
    return {"code": r.code, "name": r.name, "label": label_for(r), "level": r.level,
            "level_name": r.get_level_display(), "leaf": r.level >= 5}


@login_required
def search_view(request):
    """``?q=临河`` or ``?q=lhq`` or ``?q=linhe``: up to 20 regions of the user's subtree."""
    hits = search(request.user, request.GET.get("q", ""))
    parents = {r.code: r for r in Region.objects.filter(code__in={h.parent_id for h in hits if h.parent_id})}
    for h in hits:
        h.parent = parents.get(h.parent_id) if h.parent_id else None  # type: ignore[assignment]
    return JsonResponse({"results": [_item(h) for h in hits]})


@login_required
def children_view(request):
    """``?parent=CODE``: the children of a node of the user's subtree; without ``parent``, the user's own node."""
    prefix = scope_prefix(request.user)
    if not prefix:
        return JsonResponse({"node": None, "results": []})
    code = request.GET.get("parent", "") or request.user.region_id
    node = Region.objects.filter(code=code).first()
    if node is None or not node.code.startswith(prefix):
        raise Http404
    kids = list(node.children.order_by("code")) if node.level < 5 else []
    return JsonResponse({"node": _item(node), "results": [_item(k) for k in kids]})
