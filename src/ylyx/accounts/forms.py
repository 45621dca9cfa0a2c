"""Forms of the second-factor pages; errors name their field (the templates prefix the label)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from .models import User

CODE_ATTRS = {"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false", "autocapitalize": "off"}


class SecondFactorForm(forms.Form):
    code = forms.CharField(label="验证码", max_length=32, help_text="验证器中当前的 6 位数字，或一个恢复码",
                           error_messages={"required": "请填写验证码"}, widget=forms.TextInput(attrs=CODE_ATTRS))


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="验证码", max_length=8, help_text="添加密钥后验证器显示的 6 位数字",
        error_messages={"required": "请填写验证码"},
        validators=[RegexValidator(r"^\s*\d{6}\s*$", "应为 6 位数字")],
        widget=forms.TextInput(attrs={**CODE_ATTRS, "inputmode": "numeric", "pattern": r"\s*\d{6}\s*"}))


class SecondFactorResetForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, error_messages={"required": "请填写用户名"})
    reason = forms.CharField(label="理由", max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="如：手机遗失、更换手机；写入审计日志",
                             error_messages={"required": "请填写重置理由"})

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_username(self) -> User:
        name = self.cleaned_data["username"].strip()
        # Accounts are not region-scoped rows; only system administrators reach this form.
        user = User.objects.filter(username__iexact=name).first()
        if user is None:
            raise forms.ValidationError("没有这个用户")
        if user.pk == self.actor.pk:
            raise forms.ValidationError("不能重置自己的双因素认证，请由另一位系统管理员操作")
        return user
