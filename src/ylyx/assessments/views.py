"""Assessment pages: the list, a person's history, the tablet page (one item per screen, progress saved on
every answer), the detail page with submit / second signature / return / change of condition, and the
assessor roster. Every record comes from ``for_user``; another region's record is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.generic.views import Col, ObjectListView, ScopedMixin
from ylyx.people.models import ElderlyPerson

from . import scoring, services
from .models import Assessment, AssessorQualification, Reason, Status


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{k}：{m}" if k != "__all__" else m for k, ms in exc.message_dict.items() for m in ms]
    return list(exc.messages)


class AssessmentListView(ObjectListView):
    model = Assessment
    title = "老年人能力评估"
    export_name = "assessments.xlsx"
    detail_url_name = "assessments:detail"
    select_related = ["person", "region"]
    default_sort = "-assessed_on"
    columns = [
        Col("id", "编号", lambda a: a.pk, "id"),
        Col("person", "老年人", lambda a: a.person.name_masked),
        Col("region", "区划", lambda a: a.region.name),
        Col("assessed_on", "评估日期", lambda a: a.assessed_on, "assessed_on"),
        Col("standard", "标准", lambda a: a.get_standard_display()),
        Col("reason", "原因", lambda a: a.get_reason_display()),
        Col("status", "状态", lambda a: a.get_status_display()),
        Col("total", "总分", lambda a: a.total, "total"),
        Col("level", "能力等级", lambda a: a.level_label, "level"),
        Col("next_due", "下次复评", lambda a: a.next_due, "next_due"),
    ]

    def get_rows(self, action):
        qs, fs = super().get_rows(action)
        if self.request.GET.get("due") == "1":
            qs = qs.filter(status=Status.COMPLETED, next_due__lte=timezone.localdate())
        status = self.request.GET.get("status", "")
        if status in Status.values:
            qs = qs.filter(status=status)
        return qs, fs


class StartForm(forms.Form):
    reason = forms.ChoiceField(label="评估原因", choices=[c for c in Reason.choices if c[0] != Reason.LEGACY])
    assessed_on = forms.DateField(label="评估日期", widget=forms.DateInput(attrs={"type": "date"}))


class PersonAssessmentsView(ScopedMixin):
    """A person's history, and the start of a new assessment."""

    model = Assessment

    def person(self, pk: int) -> ElderlyPerson:
        return get_object_or_404(ElderlyPerson.objects.for_user(self.request.user, "view"), pk=pk)

    def render_page(self, person, form, status=200) -> HttpResponse:
        history = self.scoped("view").filter(person=person).select_related("first_assessor", "second_assessor")
        return render(self.request, "assessments/person.html", {
            "person": person, "history": history, "form": form, "title": f"能力评估：{person.name_masked}",
            "can_add": allows(self.request.user.role, "assessment", "add")}, status=status)

    def get(self, request, pk: int):
        self.require("view")
        return self.render_page(self.person(pk), StartForm(initial={"assessed_on": timezone.localdate(),
                                                                    "reason": Reason.INITIAL}))

    def post(self, request, pk: int):
        self.require("add")
        person = self.person(pk)
        form = StartForm(request.POST)
        if form.is_valid():
            try:
                a = services.start(request.user, person, assessed_on=form.cleaned_data["assessed_on"],
                                   reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as e:
                for m in (_errors(e) if isinstance(e, ValidationError) else [str(e)]):
                    form.add_error(None, m)
            else:
                return redirect("assessments:fill", a.pk)
        return self.render_page(person, form, status=400)


class FillView(ScopedMixin):
    """The tablet page: one item (or the Appendix A conditions) per screen, large options, progress saved."""

    model = Assessment
    STEPS = len(scoring.ITEMS)  # the conditions page is step STEPS

    def get_object(self, pk: int) -> Assessment:
        return get_object_or_404(self.scoped("change").select_related("person"), pk=pk)

    def step_of(self, a: Assessment) -> int:
        raw = self.request.GET.get("step", "")
        if raw.isdigit() and int(raw) <= self.STEPS:
            return int(raw)
        return min(a.progress, self.STEPS)

    def render_step(self, a: Assessment, step: int, errors: list[str] | None = None, status: int = 200):
        item = scoring.ITEMS[step] if step < self.STEPS else None
        dim = next((d for d in scoring.DIMENSIONS if item in d.items), None) if item else None
        return render(self.request, "assessments/fill.html", {
            "object": a, "title": f"能力评估：{a.person.name_masked}", "step": step, "steps": self.STEPS,
            "item": item, "dimension": dim, "answer": a.answers.get(item.code) if item else None,
            "answered": len(a.answers), "percent": round(100 * len(a.answers) / self.STEPS),
            "risk_events": [(k, label, a.risk_events.get(k, 0)) for k, label in scoring.RISK_EVENTS],
            "risk_options": scoring.RISK_OPTIONS, "errors": errors or [],
            "items": [(n, i, i.code in a.answers) for n, i in enumerate(scoring.ITEMS)]}, status=status)

    def get(self, request, pk: int):
        a = self.get_object(pk)
        if a.status != Status.DRAFT:
            return redirect("assessments:detail", a.pk)
        return self.render_step(a, self.step_of(a))

    def post(self, request, pk: int):
        a = self.get_object(pk)
        raw = request.POST.get("step", "")
        step = int(raw) if raw.isdigit() and int(raw) <= self.STEPS else None
        if step is None:
            return self.render_step(a, min(a.progress, self.STEPS), ["无效的评估步骤"], 400)
        try:
            if step < self.STEPS:
                item = scoring.ITEMS[step]
                value = request.POST.get("score", "")
                if not value.lstrip("-").isdigit():
                    raise ValidationError({item.code: f"请选择“{item.name}”的评估结果"})
                a = services.save_answers(request.user, a, {item.code: int(value)})
                nxt = step + 1
            else:
                risk = {}
                for k, label in scoring.RISK_EVENTS:
                    v = request.POST.get(f"risk_{k}", "0")
                    if not v.isdigit():
                        raise ValidationError({"risk_events": f"{label}的次数无效"})
                    risk[k] = int(v)
                a = services.save_answers(request.user, a, {}, coma=request.POST.get("coma") == "on",
                                          dementia=request.POST.get("dementia") == "on",
                                          psychiatric=request.POST.get("psychiatric") == "on", risk_events=risk)
                if request.POST.get("submit") == "1":
                    services.submit(request.user, a)
                    messages.success(request, "评估已提交，等待第二评估员确认")
                    return redirect("assessments:detail", a.pk)
                nxt = self.STEPS
        except ValidationError as e:
            return self.render_step(a, step, _errors(e), 400)
        except PermissionDenied as e:
            return self.render_step(a, step, [str(e) or "无权操作"], 403)
        return redirect(reverse("assessments:fill", args=[a.pk]) + f"?step={nxt}")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由/说明", max_length=200, required=False)


class AssessmentDetailView(ScopedMixin):
    model = Assessment
    ACTIONS = {"sign", "return", "condition"}

    def get_object(self, pk: int) -> Assessment:
        return get_object_or_404(self.scoped("view").select_related("person", "region", "institution",
                                                                    "first_assessor", "second_assessor"), pk=pk)

    def render_page(self, a: Assessment, errors: list[str] | None = None, status: int = 200):
        user = self.request.user
        can_change = Assessment.objects.for_user(user, "change").filter(pk=a.pk).exists()
        rows = [(d, [(i, a.answers.get(i.code)) for i in d.items], getattr(a, d.key)) for d in scoring.DIMENSIONS]
        history = self.scoped("view").filter(person_id=a.person_id).order_by("-assessed_on", "-id")[:20]
        return render(self.request, "assessments/detail.html", {
            "object": a, "title": str(a), "rows": rows, "history": history, "errors": errors or [],
            "can_sign": can_change and a.status == Status.SUBMITTED and a.first_assessor_id != user.pk,
            "can_fill": can_change and a.status == Status.DRAFT and a.first_assessor_id == user.pk,
            "can_condition": can_change and a.status == Status.COMPLETED and not a.is_legacy,
            "risk": [(label, a.risk_events.get(k, 0)) for k, label in scoring.RISK_EVENTS]}, status=status)

    def get(self, request, pk: int):
        self.require("view")
        return self.render_page(self.get_object(pk))

    def post(self, request, pk: int):
        a = self.get_object(pk)
        action = request.POST.get("action", "")
        if action not in self.ACTIONS:
            return self.render_page(a, ["无效的操作"], 400)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return self.render_page(a, ["理由过长"], 400)
        reason = form.cleaned_data["reason"]
        try:
            if action == "sign":
                services.sign(request.user, a)
                messages.success(request, "已确认，评估完成")
            elif action == "return":
                services.return_to_first(request.user, a, reason)
                messages.success(request, "已退回第一评估员")
            else:
                services.report_condition_change(request.user, a.person, reason)
                messages.success(request, "已登记状况变化，复评已列入待办")
        except ValidationError as e:
            return self.render_page(a, _errors(e), 400)
        except PermissionDenied as e:
            return self.render_page(a, [str(e) or "无权操作"], 403)
        return redirect("assessments:detail", a.pk)


class QualificationListView(ObjectListView):
    model = AssessorQualification
    title = "评估员资格"
    export_name = "assessors.xlsx"
    select_related = ["user", "region"]
    columns = [
        Col("user", "评估员", lambda q: str(q.user)),
        Col("region", "执业区划", lambda q: q.region.name),
        Col("certificate_no", "证书编号", lambda q: q.certificate_no, "certificate_no"),
        Col("issued_by", "发证机关", lambda q: q.issued_by),
        Col("valid_to", "有效期至", lambda q: q.valid_to, "valid_to"),
        Col("revoked", "已撤销", lambda q: "是" if q.revoked else "否"),
    ]


def instrument(request) -> HttpResponse:
    """The instrument itself (items, options, levels, C.4 rules): public reference, no records."""
    if not request.user.is_authenticated:
        raise Http404
    return render(request, "assessments/instrument.html", {
        "title": "GB/T 42195-2022 评估指标", "dimensions": scoring.DIMENSIONS, "levels": scoring.LEVELS})


