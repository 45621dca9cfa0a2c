"""The audit log, read-only, for the audit administrator (三权分立: nobody else reads it)."""

from ylyx.generic.views import Col, ObjectListView

from .models import AuditEvent


class AuditListView(ObjectListView):
    model = AuditEvent
    title = "审计日志"
    search_fields = ["actor_display", "event_type", "object_type", "object_repr"]
    export_name = "audit.xlsx"
    default_sort = "-id"
    columns = [
        Col("occurred_at", "时间", lambda e: e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), sort="occurred_at"),
        Col("actor", "操作人", lambda e: e.actor_display),
        Col("event", "事件", lambda e: e.event_type, sort="event_type"),
        Col("outcome", "结果", lambda e: e.outcome),
        Col("object", "对象", lambda e: f"{e.object_type} {e.object_repr}"),
        Col("reason", "理由", lambda e: e.reason),
        Col("ip", "IP", lambda e: e.ip),
    ]
