"""Forms for planning pages."""

from __future__ import annotations

from django import forms

from .engines.gaps import Norm
from .models import DemandNorm


class DemandNormForm(forms.ModelForm):
    class Meta:
        model = DemandNorm
        fields = ["indicator", "basis", "rate", "per", "label", "source_text"]
        widgets = {"source_text": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean() or {}
        if not self.errors:
            try:
                Norm(data["indicator"], data["basis"], data["rate"], data["per"])
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from exc
            if data["basis"].startswith("demand:") and data["basis"].split(":", 1)[1] == data["indicator"]:
                self.add_error("basis", "基数不能是本指标自身的需求")
        return data
