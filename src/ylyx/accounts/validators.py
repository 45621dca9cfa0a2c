"""Password rules from 等保 §8.1.4.1 a): character classes and no reuse of recent passwords."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

CLASSES = [re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"\d"), re.compile(r"[^a-zA-Z0-9]")]


class CharacterClassValidator:
    def validate(self, password, user=None):
        need = settings.PASSWORD_MIN_CLASSES
        if sum(1 for c in CLASSES if c.search(password)) < need:
            raise ValidationError(f"密码须包含小写字母、大写字母、数字、符号中的至少 {need} 类", code="classes")

    def get_help_text(self):
        return f"密码须包含小写字母、大写字母、数字、符号中的至少 {settings.PASSWORD_MIN_CLASSES} 类。"


class PasswordHistoryValidator:
    def validate(self, password, user=None):
        if user is None or not getattr(user, "pk", None):
            return
        recent = user.password_history.all()[: settings.PASSWORD_HISTORY_COUNT]
        if any(check_password(password, h.password) for h in recent):
            raise ValidationError(f"不能使用最近 {settings.PASSWORD_HISTORY_COUNT} 次用过的密码", code="reused")

    def get_help_text(self):
        return "不能与最近使用过的密码相同。"


class MinimumLengthValidator:
    """Django's own message is untranslated for zh-hans in 5.2; users must read the rule in Chinese."""

    def validate(self, password, user=None):
        if len(password) < settings.PASSWORD_MIN_LENGTH:
            raise ValidationError(f"密码太短，至少需要 {settings.PASSWORD_MIN_LENGTH} 个字符", code="password_too_short")

    def get_help_text(self):
        return f"密码至少 {settings.PASSWORD_MIN_LENGTH} 个字符。"
