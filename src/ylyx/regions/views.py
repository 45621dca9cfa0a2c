"""Region tree navigation (lazy, with htmx): only nodes inside the user's own scope are served."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .models import Region


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
