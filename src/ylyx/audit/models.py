"""Append-only, hash-chained audit trail (security.md SEC-AUD-1..4).

UPDATE and DELETE are refused by database triggers (see the migration), and every row carries the
hash of the previous one, so a tampered or removed row breaks the chain that ``verify_audit`` checks.
"""

from __future__ import annotations

from django.db import models

from ylyx.core.scoping import ScopedModel


class AuditEvent(ScopedModel):
    scope_resource = "audit"
    scope_region_field = "actor_region"

    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+", verbose_name="操作人")
    actor_display = models.CharField("操作人", max_length=150, blank=True)
    actor_region = models.CharField("操作人区划", max_length=12, blank=True)
    event_type = models.CharField("事件", max_length=40, db_index=True)
    outcome = models.CharField("结果", max_length=10, default="success")
    object_type = models.CharField("对象类型", max_length=60, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    region_code = models.CharField("对象区划", max_length=12, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=250, blank=True)
    reason = models.TextField("理由", blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    detail = models.JSONField("详情", null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "审计事件"

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_display} {self.event_type} {self.object_repr}"


class AuditMaintenance(models.Model):
    """A single switch the database triggers read: deletion (retention purge) is refused unless it is on.

    Only the purge command and test-database flushes turn it on, inside their own transaction; UPDATE of
    audit rows is refused always.
    """

    enabled = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "审计维护开关"

    def __str__(self) -> str:
        return "开启" if self.enabled else "关闭"
