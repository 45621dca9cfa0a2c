"""The upload form (only the resources the user's role may import are offered) and the export job forms."""

from __future__ import annotations

from typing import cast

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
        cast(forms.ChoiceField, self.fields["resource"]).choices = [(r.value, r.label) for r in Resource if r.value in allowed]
        self.fields["resource"].error_messages["invalid_choice"] = "您的角色无权导入该内容"


class ExportRequestForm(forms.Form):
    """The 导出 button's form when a job is needed: the list and its filter ride along, the reason is typed."""

    list = forms.CharField(widget=forms.HiddenInput, max_length=80)
    filter = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    reason = forms.CharField(label="导出理由", required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
                             help_text="写明用途，例如“核对高龄津贴发放名单”；理由会记入审计日志并写入导出文件",
                             error_messages={"max_length": "导出理由：不能超过 500 个字"})

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].widget.attrs["required"] = "required"


class ExportDecisionForm(forms.Form):
    comment = forms.CharField(label="审批意见", required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
                              error_messages={"max_length": "审批意见：不能超过 500 个字"})
