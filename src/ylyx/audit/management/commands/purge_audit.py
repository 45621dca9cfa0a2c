from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from ylyx.audit.models import AuditEvent, AuditMaintenance


class Command(BaseCommand):
    help = "删除超过保存期限（AUDIT_RETENTION_DAYS，至少 180 天）的审计日志"

    def handle(self, *args, **opts):
        days = max(settings.AUDIT_RETENTION_DAYS, 180)
        cutoff = timezone.now() - timedelta(days=days)
        with transaction.atomic():
            AuditMaintenance.objects.update_or_create(pk=1, defaults={"enabled": True})
            n, _ = AuditEvent.objects.filter(occurred_at__lt=cutoff).delete()
            AuditMaintenance.objects.filter(pk=1).update(enabled=False)
        self.stdout.write(f"已删除 {n} 条 {cutoff:%Y-%m-%d} 之前的审计日志（保存期限 {days} 天）")
