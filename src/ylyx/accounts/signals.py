"""Keep password history and the change time, and write authentication events to the audit trail."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from ylyx.audit.services import record_security_event

from .models import PasswordHistory, User


@receiver(pre_save, sender=User)
def track_password_change(sender, instance: User, **kwargs):
    if not instance.pk:
        return
    old = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old and old != instance.password:
        instance.password_changed_at = timezone.now()
        PasswordHistory.objects.create(user_id=instance.pk, password=old)


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    request.session["login_at"] = timezone.now().timestamp()
    record_security_event(user, "login", "success")


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_security_event(user, "logout", "success")


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    record_security_event(None, "login", "failure", detail={"username": str(credentials.get("username", ""))[:150]})
