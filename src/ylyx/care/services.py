"""Time bank and home-service operations, each one transaction, each exactly once where money-like.

Balances move only here: a conditional ``UPDATE … SET balance = balance - m WHERE balance >= m`` (atomic on
SQLite and PostgreSQL, whatever the isolation) plus the database CHECK, and a ledger row with a unique
key, so a retried request finds its first result instead of moving time twice. Accounts are locked
(``select_for_update``, PostgreSQL) in id order, so two transfers in opposite directions cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.errors import Conflict
from ylyx.core.permissions import allows
from ylyx.core.scoping import ensure_in_scope

from .models import (
    EntryKind,
    FamilyLink,
    HoursStatus,
    LedgerEntry,
    OrderedBy,
    OrderStatus,
    ServiceHours,
    ServiceItem,
    ServiceOrder,
    TimeBankAccount,
    Volunteer,
)

SYSTEM = "exactly-once lookup by the operation's unique key"
MAX_MINUTES = 100 * 60  # one operation moves at most 100 hours


def _can(user: Any, resource: str, action: str) -> None:
    if user is not None and not allows(user.role, resource, action):  # type: ignore[arg-type]
        raise PermissionDenied("您没有该操作的权限")


def _minutes(value: Any, field: str = "minutes") -> int:
    try:
        m = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: "时长须为整数分钟"}) from exc
    if not 0 < m <= MAX_MINUTES:
        raise ValidationError({field: f"时长须在 1–{MAX_MINUTES} 分钟之间"})
    return m


def _key(key: str) -> str:
    key = (key or "").strip()
    if not 8 <= len(key) <= 70:
        raise ValidationError({"key": "请提供 8–70 个字符的操作编号（用于防止重复提交）"})
    return key


# --- volunteers and hours ------------------------------------------------------------------------

@transaction.atomic
def register_volunteer(user: Any, *, region: Any, name: str, id_number: str, registered_on: dt.date,
                       **fields: Any) -> Volunteer:
    _can(user, "timebank", "add")
    if not name.strip():
        raise ValidationError({"name": "请填写志愿者姓名"})
    v = Volunteer(region=region, name=name.strip(), registered_on=registered_on, **fields)
    errs = v.set_id_number(id_number)
    if errs:
        raise ValidationError({"id_number": errs})
    try:
        with transaction.atomic():
            v.save()
    except IntegrityError as exc:
        raise ValidationError({"id_number": "该身份证号已注册为志愿者"}) from exc
    if user is not None:
        ensure_in_scope(v, user, "add")
    TimeBankAccount.objects.create(region=region, volunteer=v)
    record(user, "volunteer_registered", v)
    return v


def account_for_person(person: Any) -> TimeBankAccount:
    acc, _ = TimeBankAccount.objects.get_or_create(person=person, defaults={"region_id": person.region_id})
    return acc


@transaction.atomic
def record_hours(user: Any, volunteer: Volunteer, *, served_on: dt.date, minutes: Any, description: str,
                 served_person: Any = None, served_institution: Any = None) -> ServiceHours:
    _can(user, "timebank", "add")
    if served_person is None and served_institution is None:
        raise ValidationError({"served_person": "请选择服务对象（老年人或机构）"})
    if not description.strip():
        raise ValidationError({"description": "请填写服务内容"})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": "服务日期不能晚于今天"})
    h = ServiceHours.objects.create(volunteer=volunteer, region_id=volunteer.region_id, served_on=served_on,
                                    minutes=_minutes(minutes), description=description.strip(),
                                    served_person=served_person, served_institution=served_institution)
    if user is not None:
        ensure_in_scope(h, user, "add")
    return h


@transaction.atomic
def confirm_hours(user: Any, hours: ServiceHours, confirmed_by: str) -> LedgerEntry:
    """The served person (through an officer) or institution confirms: the minutes are deposited once."""
    _can(user, "timebank", "change")
    hours = ServiceHours.objects.select_for_update().get(pk=hours.pk)
    if user is not None:
        ensure_in_scope(hours, user, "change")
    if hours.status == HoursStatus.CONFIRMED:
        return LedgerEntry.objects.unscoped(SYSTEM).get(hours=hours)
    if hours.status == HoursStatus.REJECTED:
        raise ValidationError({"status": "该服务时长未被确认，不能存入"})
    if not confirmed_by.strip():
        raise ValidationError({"confirmed_by": "请填写确认人（服务对象或机构经办人）"})
    hours.status, hours.confirmed_by, hours.confirmed_at = HoursStatus.CONFIRMED, confirmed_by.strip(), timezone.now()
    hours.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    account = TimeBankAccount.objects.select_for_update().get(volunteer_id=hours.volunteer_id)
    return _move(user, account, hours.minutes, EntryKind.DEPOSIT, f"hours:{hours.pk}", hours=hours,
                 memo=f"{hours.served_on:%Y-%m-%d} {hours.description}"[:120])


def _move(user: Any, account: TimeBankAccount, minutes: int, kind: str, key: str, *, counterpart: Any = None,
          hours: Any = None, memo: str = "") -> LedgerEntry:
    """Change one balance by ``minutes`` (negative: take) atomically and write its ledger row; caller's transaction."""
    accounts = TimeBankAccount.objects.unscoped("the caller holds the account in scope")
    if minutes < 0:
        moved = accounts.filter(pk=account.pk, balance__gte=-minutes).update(balance=F("balance") + minutes)
        if not moved:
            raise ValidationError({"minutes": "时间银行余额不足"})
    else:
        accounts.filter(pk=account.pk).update(balance=F("balance") + minutes)
    balance = accounts.filter(pk=account.pk).values_list("balance", flat=True)[0]
    entry = LedgerEntry.objects.create(account=account, kind=kind, minutes=minutes, balance_after=balance, key=key,
                                       counterpart=counterpart, hours=hours, memo=memo, actor=user)
    record(user, f"timebank_{kind}", account, detail={"minutes": minutes, "key": key, "balance": balance})
    return entry


def _existing(key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.unscoped(SYSTEM).filter(key=key).first()


def withdraw(user: Any, account: TimeBankAccount, minutes: Any, key: str, memo: str = "") -> LedgerEntry:
    """Spend time for the holder's own care; the same ``key`` again returns the first entry (exactly once)."""
    _can(user, "timebank", "change")
    key, m = _key(key), _minutes(minutes)
    if (done := _existing(key)) is not None:
        return done
    try:
        with transaction.atomic():
            acc = TimeBankAccount.objects.select_for_update().get(pk=account.pk)
            if user is not None:
                ensure_in_scope(acc, user, "change")
            return _move(user, acc, -m, EntryKind.WITHDRAW, key, memo=memo or "兑换服务")
    except IntegrityError:  # the same key committed concurrently
        done = _existing(key)
        if done is None:
            raise
        return done


def transfer_to_family(user: Any, source: TimeBankAccount, person: Any, minutes: Any, key: str) -> LedgerEntry:
    """A volunteer gives time to a linked family member (an older person) with recorded consent: exactly once."""
    _can(user, "timebank", "change")
    key, m = _key(key), _minutes(minutes)
    if (done := _existing(f"{key}:out")) is not None:
        return done
    if source.volunteer_id is None:
        raise ValidationError({"source": "只有志愿者账户可以转赠给家人"})
    link = FamilyLink.objects.unscoped("the link is checked against both parties below").filter(
        person=person, member_volunteer_id=source.volunteer_id, consent_on__isnull=False, revoked_on__isnull=True).first()
    if link is None:
        raise ValidationError({"person": "该老年人不是此志愿者已登记（并经本人同意）的家属，不能转赠"})
    try:
        with transaction.atomic():
            target = account_for_person(person)
            locked = {a.pk: a for a in TimeBankAccount.objects.select_for_update().filter(
                pk__in=[source.pk, target.pk]).order_by("pk")}
            if user is not None:
                ensure_in_scope(locked[source.pk], user, "change")
            out = _move(user, locked[source.pk], -m, EntryKind.TRANSFER_OUT, f"{key}:out", counterpart=target,
                        memo=f"转赠家人（{link.relation}）")
            _move(user, locked[target.pk], m, EntryKind.TRANSFER_IN, f"{key}:in", counterpart=locked[source.pk],
                  memo="家人转赠")
            return out
    except IntegrityError:
        done = _existing(f"{key}:out")
        if done is None:
            raise
        return done


def annual_statement(account: TimeBankAccount, year: int) -> dict:
    """Opening and closing balance, totals per kind and every entry of the year (account fetched in scope)."""
    entries = list(account.entries.filter(created_at__year=year).order_by("id"))
    before = account.entries.filter(created_at__year__lt=year).order_by("-id").values_list("balance_after", flat=True)
    opening = before[0] if before else 0
    totals = {k: sum(e.minutes for e in entries if e.kind == k) for k in EntryKind.values}
    closing = entries[-1].balance_after if entries else opening
    return {"year": year, "opening": opening, "closing": closing, "totals": totals, "entries": entries,
            "hours_served": round(totals[EntryKind.DEPOSIT] / 60, 1)}


# --- family links and orders ---------------------------------------------------------------------

@transaction.atomic
def link_family(user: Any, person: Any, *, member_name: str, relation: str, member_user: Any = None,
                member_volunteer: Any = None, may_order: bool = False, consent_on: dt.date | None = None,
                consent_method: str = "") -> FamilyLink:
    """Link a family member; consent is recorded only with its date and method (书面签字, 当面确认 …)."""
    _can(user, "home_service", "add")
    if not member_name.strip():
        raise ValidationError({"member_name": "请填写家属姓名"})
    if not relation.strip():
        raise ValidationError({"relation": "请填写与老年人的关系"})
    if consent_on is not None and not consent_method.strip():
        raise ValidationError({"consent_method": "记录同意时须写明同意方式"})
    if may_order and consent_on is None:
        raise ValidationError({"consent_on": "代为下单须有老年人本人的同意记录"})
    link = FamilyLink.objects.create(person=person, region_id=person.region_id, member_name=member_name.strip(),
                                     relation=relation.strip(), member_user=member_user,
                                     member_volunteer=member_volunteer, may_order=may_order, consent_on=consent_on,
                                     consent_method=consent_method.strip(),
                                     consent_recorded_by=user if consent_on else None)
    if user is not None:
        ensure_in_scope(link, user, "add")
    record(user, "family_linked", link, after={"relation": link.relation, "may_order": may_order,
                                               "consent_on": str(consent_on or ""), "method": link.consent_method})
    return link


@transaction.atomic
def revoke_consent(user: Any, link: FamilyLink) -> FamilyLink:
    _can(user, "home_service", "change")
    if user is not None:
        ensure_in_scope(link, user, "change")
    link.revoked_on = timezone.localdate()
    link.save(update_fields=["revoked_on"])
    record(user, "family_consent_revoked", link)
    return link


@transaction.atomic
def place_order(user: Any, person: Any, item: ServiceItem, *, wanted_on: dt.date, ordered_by: str,
                family_link: FamilyLink | None = None, client_key: str | None = None) -> ServiceOrder:
    """An order for ``person``: by the person, an officer, or a family member with the person's recorded consent.

    A family order (子女代下单) needs a link of this person whose consent is recorded, not revoked and covers
    ordering; a family member acting with their own account must be that link's member.
    """
    if client_key and (done := ServiceOrder.objects.unscoped(SYSTEM).filter(client_key=client_key).first()):
        return done
    if ordered_by not in OrderedBy.values:
        raise ValidationError({"ordered_by": "下单方式不正确"})
    officer = user is not None and allows(user.role, "home_service", "add")
    if ordered_by == OrderedBy.FAMILY:
        if family_link is None:
            raise ValidationError({"family_link": "家属代下单须选择已登记的家属"})
        if family_link.person_id != person.pk:
            raise ValidationError({"family_link": "该家属未与此老年人关联"})
        if not (family_link.consented and family_link.may_order):
            raise ValidationError({"family_link": "老年人本人尚未同意该家属代为下单（或已撤回同意），不能下单"})
        if not officer and (user is None or family_link.member_user_id != user.pk):
            raise PermissionDenied("只有已关联的家属本人可以代为下单")
    elif not officer:
        raise PermissionDenied("您没有下单的权限")
    if not item.active:
        raise ValidationError({"item": "该服务项目已下架"})
    if wanted_on < timezone.localdate():
        raise ValidationError({"wanted_on": "预约日期不能早于今天"})
    order = ServiceOrder.objects.create(person=person, region_id=person.region_id, item=item,
                                        provider_id=item.provider_id, ordered_by=ordered_by,
                                        family_link=family_link if ordered_by == OrderedBy.FAMILY else None,
                                        placed_by=user, wanted_on=wanted_on, price=Decimal(item.price),
                                        client_key=client_key or None)
    if officer:
        ensure_in_scope(order, user, "add")
    record(user, "service_order_placed", order, detail={"ordered_by": ordered_by,
                                                        "family_link": family_link.pk if family_link else None})
    return order


def _order_step(user: Any, order: ServiceOrder, action: str, allowed_from: set[str]) -> ServiceOrder:
    _can(user, "home_service", "change")
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    ensure_in_scope(order, user, "change")
    if order.status not in allowed_from:
        raise Conflict({"status": f"订单当前为“{order.get_status_display()}”，不能{action}"})
    return order


@transaction.atomic
def dispatch(user: Any, order: ServiceOrder, worker: str) -> ServiceOrder:
    order = _order_step(user, order, "派单", {OrderStatus.PLACED})
    if not worker.strip():
        raise ValidationError({"worker": "请填写服务人员"})
    order.status, order.worker = OrderStatus.DISPATCHED, worker.strip()
    order.save(update_fields=["status", "worker", "updated_at"])
    record(user, "service_order_dispatched", order)
    return order


@transaction.atomic
def check_in(user: Any, order: ServiceOrder, place: str) -> ServiceOrder:
    order = _order_step(user, order, "签到", {OrderStatus.DISPATCHED})
    if not place.strip():
        raise ValidationError({"checkin_place": "请填写签到位置"})
    order.status, order.checkin_at, order.checkin_place = OrderStatus.IN_SERVICE, timezone.now(), place.strip()[:60]
    order.save(update_fields=["status", "checkin_at", "checkin_place", "updated_at"])
    return order


@transaction.atomic
def check_out(user: Any, order: ServiceOrder) -> ServiceOrder:
    order = _order_step(user, order, "签退", {OrderStatus.IN_SERVICE})
    order.status, order.checkout_at = OrderStatus.DONE, timezone.now()
    order.save(update_fields=["status", "checkout_at", "updated_at"])
    record(user, "service_order_done", order)
    return order


@transaction.atomic
def rate(user: Any, order: ServiceOrder, rating: Any, comment: str = "") -> ServiceOrder:
    order = _order_step(user, order, "评价", {OrderStatus.DONE})
    try:
        r = int(rating)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"rating": "评价须为 1–5 的整数"}) from exc
    if not 1 <= r <= 5:
        raise ValidationError({"rating": "评价须为 1–5 的整数"})
    if order.rating is not None:
        raise Conflict({"rating": "该订单已评价"})
    order.rating, order.rating_comment = r, comment.strip()[:200]
    order.save(update_fields=["rating", "rating_comment", "updated_at"])
    record(user, "service_order_rated", order, after={"rating": r})
    return order


# --- 家庭养老床位, 助餐, 医养结合 -------------------------------------------------------------------------

@transaction.atomic
def contract_bed(user: Any, person: Any, provider: Any, *, care_level: str, care_plan: str, started_on: dt.date,
                 visits_per_month: int = 4, devices: list[str] | None = None) -> Any:
    from .models import CareLevel, HomeCareBed

    _can(user, "home_service", "add")
    if care_level not in CareLevel.values:
        raise ValidationError({"care_level": "能力等级须为 0–4（GB/T 42195-2022）"})
    if not care_plan.strip():
        raise ValidationError({"care_plan": "请填写照护计划"})
    if not 1 <= int(visits_per_month) <= 31:
        raise ValidationError({"visits_per_month": "每月上门服务次数须在 1–31 之间"})
    try:
        with transaction.atomic():
            bed = HomeCareBed.objects.create(person=person, region_id=person.region_id, provider=provider,
                                             care_level=care_level, care_plan=care_plan.strip(),
                                             visits_per_month=visits_per_month, devices=devices or [],
                                             started_on=started_on)
    except IntegrityError as exc:
        raise Conflict({"person": "该老年人已有生效的家庭养老床位"}) from exc
    if user is not None:
        ensure_in_scope(bed, user, "add")
    record(user, "home_care_bed_contracted", bed)
    return bed


@transaction.atomic
def record_bed_visit(user: Any, bed: Any, *, visited_on: dt.date, minutes: Any, worker: str, items: str) -> Any:
    from .models import HomeCareVisit

    _can(user, "home_service", "change")
    if user is not None:
        ensure_in_scope(bed, user, "change")
    if bed.ended_on is not None and visited_on > bed.ended_on or visited_on < bed.started_on:
        raise ValidationError({"visited_on": "服务日期不在床位签约期内"})
    if not worker.strip() or not items.strip():
        raise ValidationError({"worker" if not worker.strip() else "items": "请填写服务人员和服务内容"})
    return HomeCareVisit.objects.create(bed=bed, visited_on=visited_on, minutes=_minutes(minutes),
                                        worker=worker.strip(), items=items.strip())


def missed_bed_services(beds: Any, month: dt.date) -> list[tuple[Any, int, int]]:
    """(bed, planned, done) for the beds (a queryset already scoped) with fewer visits in ``month`` than planned."""
    from django.db.models import Count, Q

    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    rows = beds.filter(started_on__lt=nxt).exclude(ended_on__lt=first).annotate(
        done=Count("visits", filter=Q(visits__visited_on__gte=first, visits__visited_on__lt=nxt)))
    return [(b, b.visits_per_month, b.done) for b in rows if b.done < b.visits_per_month]


@transaction.atomic
def record_meal_count(user: Any, point: Any, day: dt.date, meals: Any, subsidised_meals: Any = 0) -> Any:
    """The day's count of a meal point; entering the same day again corrects it (one row per point and day)."""
    from .models import MealDailyCount

    _can(user, "home_service", "change")
    if user is not None:
        ensure_in_scope(point, user, "change")
    try:
        m, s = int(meals), int(subsidised_meals or 0)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"meals": "供餐人次须为整数"}) from exc
    if m < 0 or s < 0:
        raise ValidationError({"meals": "人次不能为负数"})
    if s > m:
        raise ValidationError({"subsidised_meals": "补贴餐人次不能多于供餐人次"})
    if day > timezone.localdate():
        raise ValidationError({"day": "日期不能晚于今天"})
    if point.closed_on and day > point.closed_on or day < point.opened_on:
        raise ValidationError({"day": "该日助餐点未开办"})
    row, _ = MealDailyCount.objects.update_or_create(point=point, day=day,
                                                     defaults={"meals": m, "subsidised_meals": s})
    return row
