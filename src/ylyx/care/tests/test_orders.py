"""Orders: a family member orders for their parent only with the parent's recorded consent; dispatch,
check-in/out and rating by the provider, refused out of scope or out of order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ylyx import testing
from ylyx.care import services
from ylyx.care.models import ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(tree):
    """The daughter's own account (a role without ordering rights of its own)."""
    return testing.make_user("leader", tree["linhe"], username="daughter")


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def test_family_order_needs_the_parents_recorded_consent(parent, item, users, child):
    officer = users["county_officer"]
    link = services.link_family(officer, parent, member_name="李女", relation="女", member_user=child)
    with pytest.raises(ValidationError) as err:
        services.place_order(child, parent, item, wanted_on=tomorrow(), ordered_by="family", family_link=link)
    assert "同意" in str(err.value.message_dict["family_link"])
    with pytest.raises(ValidationError) as err:
        services.link_family(officer, parent, member_name="李女", relation="女", member_user=child, may_order=True)
    assert "consent_on" in err.value.message_dict
    consented = services.link_family(officer, parent, member_name="李女", relation="女", member_user=child,
                                     may_order=True, consent_on=dt.date(2026, 1, 5), consent_method="书面签字")
    order = services.place_order(child, parent, item, wanted_on=tomorrow(), ordered_by="family",
                                 family_link=consented, client_key="order-abc-1")
    assert order.family_link == consented and order.placed_by == child and str(order.price) == "50.00"
    again = services.place_order(child, parent, item, wanted_on=tomorrow(), ordered_by="family",
                                 family_link=consented, client_key="order-abc-1")
    assert again.pk == order.pk
    other = testing.make_elderly(parent.region, name="别人")
    with pytest.raises(ValidationError):  # the link is for this parent only
        services.place_order(child, other, item, wanted_on=tomorrow(), ordered_by="family", family_link=consented)
    stranger = testing.make_user("leader", parent.region.parent.parent.parent)
    with pytest.raises(PermissionDenied):  # someone else cannot use the daughter's link
        services.place_order(stranger, parent, item, wanted_on=tomorrow(), ordered_by="family", family_link=consented)
    with pytest.raises(PermissionDenied):
        services.place_order(child, parent, item, wanted_on=tomorrow(), ordered_by="self")
    services.revoke_consent(officer, consented)
    with pytest.raises(ValidationError):
        services.place_order(child, parent, item, wanted_on=tomorrow(), ordered_by="family", family_link=consented)
    assert ServiceOrder.objects.unscoped("t").count() == 1


def test_dispatch_check_in_out_and_rating(parent, item, users):
    officer, operator = users["county_officer"], users["operator"]
    order = services.place_order(officer, parent, item, wanted_on=tomorrow(), ordered_by="officer")
    with pytest.raises(ValidationError):
        services.check_in(operator, order, "老人家中")
    services.dispatch(operator, order, "张阿姨")
    services.check_in(operator, order, "临河区某路1号")
    with pytest.raises(ValidationError):
        services.rate(officer, order, 5)
    services.check_out(operator, order)
    with pytest.raises(ValidationError):
        services.rate(officer, order, 6)
    order = services.rate(officer, order, 5, "很满意")
    assert (order.status, order.rating) == ("done", 5)
    assert order.checkin_at is not None and order.checkout_at is not None and order.checkin_at <= order.checkout_at
    other_op = testing.make_user("operator", None, institution=testing.make_institution(parent.region))
    assert not ServiceOrder.objects.for_user(other_op, "view").exists()
    assert ServiceOrder.objects.for_user(operator, "view").count() == 1
