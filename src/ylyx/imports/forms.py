"""The upload form: only the resources the user's role may import are offered."""

from __future__ import annotations

from django import forms

from .models import Mode, Resource, importable_resources


class UploadForm(forms.Form):
    resource = forms.ChoiceField(label="导入内容", choices=())
    file = forms.FileField(label="Excel 文件（.xlsx）", allow_empty_file=True,
                           error_messages={"required": "请选择要上传的 Excel 文件"})
    mode = forms.ChoiceField(label="导入方式", choices=Mode.choices, initial=Mode.ALL_OR_NOTHING,
                             widget=forms.RadioSelect)
    force = forms.BooleanField(label="强制重新导入（同一文件已导入过时仍然导入）", required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = importable_resources(user)
        self.fields["resource"].choices = [(r.value, r.label) for r in Resource if r.value in allowed]
        self.fields["resource"].error_messages["invalid_choice"] = "您的角色无权导入该内容"
