"""Platform endpoints that belong to no domain: the health check for load balancers and monitors."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
