"""The demo city generator: plain helpers, determinism, and a small built city read back from the database."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import yaml
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import override_settings

from ylyx import testing
from ylyx.core.validators import validate_id_number, validate_uscc
from ylyx.demo import checks
from ylyx.demo.build import DemoError, build
from ylyx.demo.people import make_elderly
from ylyx.demo.regions import make_population, make_tree
from ylyx.demo.spec import BASELINE, HORIZON, Spec
from ylyx.demo.util import allocate, allocate_capped, day, id_numbers, uscc

PLAN = Path(__file__).resolve().parents[2] / "indicators" / "data" / "plans" / "bayannur-2021.yaml"
SCALE = 0.02


def quiet(_msg: str) -> None:
    pass


# ---- plain helpers ------------------------------------------------------------------------------

def test_full_scale_spec_is_the_published_plan():
    facts = {f["key"]: f["value"] for f in yaml.safe_load(PLAN.read_text(encoding="utf-8"))["facts"]}
    e = Spec.at(1.0).expected_2020()
    assert e["population.total"] == facts["population_total"] == 1_538_700
    assert e["population.aged_60"] == facts["population_60_plus"]
    assert e["population.aged_65"] == facts["population_65_plus"]
    assert e["population.under_3"] == facts["infants_under_3"]
    assert e["elder_care.total"] == facts["elderly_institutions_and_service_sites"] == 121
    assert e["elder_care.by_subtype.public"] == facts["public_elderly_institutions"]
    assert e["elder_care.by_subtype.public_private"] == facts["publicly_built_privately_operated_institutions"]
    assert e["elder_care.by_subtype.private"] == facts["private_elderly_institutions"]
    assert e["elder_care.by_subtype.day_care"] == facts["community_day_care_centers"]
    assert e["elder_care.by_subtype.happiness"] == facts["rural_mutual_aid_homes"]
    assert e["elder_care.rural_stations"] == facts["rural_elderly_service_stations"]
    assert e["capacity.beds"] == facts["elderly_beds"]
    assert e["childcare.institutions"] == facts["childcare_institutions"]
    assert e["childcare.filed"] == facts["filed_childcare_institutions"]
    assert e["childcare.places"] == facts["childcare_places"]
    spec = Spec.at(1.0)
    assert spec.population[2025]["aged_60"] == facts["projected_population_60_plus"]
    assert spec.population[2025]["under_3"] == facts["projected_infants_under_3"]
    assert spec.beds_2025 == 14_276


def test_small_spec_keeps_every_institution_type():
    spec = Spec.at(SCALE)
    assert all(v >= 1 for v in {**spec.elder_2020, **spec.community_2020}.values())
    assert spec.population[2020]["total"] == round(1_538_700 * SCALE)
    with pytest.raises(ValueError):
        Spec.at(1.5)


def test_allocate_sums_exactly_and_respects_caps():
    w = np.array([3.0, 1.0, 1.0, 0.0, 5.0])
    out = allocate(1001, w)
    assert out.sum() == 1001 and out[3] == 0 and out[4] > out[0] > out[1]
    capped = allocate_capped(20, np.array([10.0, 1.0, 1.0]), np.array([5, 10, 10]))
    assert capped.sum() == 20 and capped[0] == 5
    with pytest.raises(ValueError):
        allocate_capped(30, np.ones(2), np.array([10, 10]))


def test_id_numbers_are_valid_and_unique_even_for_twins():
    n = 800  # 200 people per area, birth date and sex
    births = np.full(n, day(dt.date(1950, 5, 1)))
    male = np.arange(n) % 2 == 0
    areas = ["150802"] * (n // 2) + ["150821"] * (n - n // 2)
    ids = id_numbers(areas, births, male)
    assert len(set(ids)) == n
    for number, m in zip(ids[::37], male[::37], strict=False):
        info = validate_id_number(number)
        assert info.birth_date == dt.date(1950, 5, 1) and info.sex == ("M" if m else "F")
    with pytest.raises(ValueError):  # more than the order code can hold
        id_numbers(["150802"] * 1200, np.full(1200, day(dt.date(1950, 5, 1))), np.ones(1200, bool))


def test_uscc_is_valid_and_distinct():
    codes = {uscc("52", "150802", 104_729 + i * 7) for i in range(500)}
    assert len(codes) == 500
    assert all(validate_uscc(c) == c for c in list(codes)[:50])


def test_generators_are_deterministic():
    def run(seed):
        spec = Spec.at(SCALE, seed)
        tree = make_tree(spec, np.random.default_rng([seed, 1]))
        pop = make_population(spec, tree, np.random.default_rng([seed, 2]))
        eld = make_elderly(pop, tree, np.random.default_rng([seed, 3]))
        return [v.code + v.name for v in tree.villages], eld.ids[:200], list(eld.names[:200])

    assert run(7) == run(7)
    assert run(7)[1] != run(8)[1]


# ---- a built city -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_small_city_is_consistent_and_has_one_login_per_role(tmp_path):
    from ylyx.accounts.models import User
    from ylyx.core.permissions import Role
    from ylyx.workspace.stats import registry_stats

    path = tmp_path / "logins.txt"
    result = build(SCALE, log=quiet, logins_path=path)
    assert checks.verify(result.spec) == []
    # Later dates differ: the 2025 path of the plan.
    s25 = registry_stats("150800", HORIZON)
    assert s25["capacity"]["beds"] == result.spec.beds_2025
    assert s25["capacity"]["nursing_bed_share"] >= 55
    assert registry_stats("150800", BASELINE)["capacity"]["beds"] < s25["capacity"]["beds"]
    # Logins: every role, strong passwords, written privately.
    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    assert {u.role for u in users.values()} == set(Role.values)
    assert users["demo_linhe"].can_view_full_pi and users["demo_linhe"].region_id == "150802000000"
    assert users["demo_wuyuan"].region_id == "150821000000"
    street, elder, childcare = users["demo_jiedao"].region, users["demo_yanglao"], users["demo_tuoyu"]
    assert street is not None and street.level == 4 and street.code.startswith("150802")
    assert elder.institution is not None and elder.institution.kind == "elder"
    assert childcare.institution is not None and childcare.institution.kind == "childcare"
    assert not any(u.must_change_password for u in users.values())
    for login in result.logins:
        validate_password(login.password, users[login.username])
        assert users[login.username].check_password(login.password)
    text = path.read_text(encoding="utf-8")
    assert all(x.username in text and x.password in text for x in result.logins)
    # Roles that must use 2FA come with a device whose key is printed next to the password.
    from ylyx.accounts.services import second_factor_verify, totp_secret
    from ylyx.core.permissions import requires_second_factor

    for login in result.logins:
        assert bool(login.totp_secret) == requires_second_factor(login.role), login.username
        if login.totp_secret:
            user = users[login.username]
            assert totp_secret(testing.totp_device(user)) == login.totp_secret
            assert f"{login.password}\t{login.totp_secret}" in text
            assert f"totp_code {login.username}" in text
            assert second_factor_verify(user=user, code=testing.code_for_secret(login.totp_secret)).ok
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The build itself is in the audit trail, and the chain still verifies.
    from ylyx.audit.models import AuditEvent
    from ylyx.audit.services import verify_chain

    ev = AuditEvent.objects.get(event_type="demo_build")
    assert ev.detail["rows"]["people.ElderlyPerson"] == result.counts["people.ElderlyPerson"]
    assert verify_chain()[0]
    # A second build into a populated database is refused.
    with pytest.raises(DemoError):
        build(SCALE, log=quiet, logins_path=tmp_path / "again.txt")


@pytest.mark.django_db
def test_verify_finds_broken_data(tmp_path):
    from ylyx.people.models import ElderlyPerson, Residence
    from ylyx.regions.models import PopulationStat

    result = build(SCALE, log=quiet, logins_path=tmp_path / "l.txt")
    row = PopulationStat.objects.filter(region__level=5, year=2020).first()
    assert row is not None
    PopulationStat.objects.filter(pk=row.pk).update(total=row.total + 1)
    stay = Residence.objects.filter(ended_on__isnull=True).first()
    other = ElderlyPerson.objects.exclude(residences__isnull=False).filter(birth_date__lte=dt.date(1950, 1, 1)).first()
    Residence.objects.create(person=other, institution=stay.institution, region=stay.region,
                             bed_type=stay.bed_type, started_on=dt.date(1990, 1, 1))
    problems = checks.verify(result.spec)
    assert any(p.startswith("check_population") for p in problems)
    assert any(p.startswith("check_residences") for p in problems)


@pytest.mark.django_db
def test_build_demo_command(tmp_path):
    out = io.StringIO()
    with override_settings(VAR_DIR=tmp_path):
        call_command("build_demo", "--scale", str(SCALE), "--verify", "--timings-json", str(tmp_path / "t.json"),
                     stdout=out)
        text = out.getvalue()
        assert "全部通过" in text and "demo_minzheng" in text and "角色" in text
        assert "动态口令密钥" in text and "manage.py totp_code demo_minzheng" in text
        assert (tmp_path / "demo-logins.txt").exists() and (tmp_path / "t.json").exists()
        with pytest.raises(CommandError, match="--fresh"):
            call_command("build_demo", "--scale", str(SCALE), stdout=io.StringIO())
        with pytest.raises(CommandError, match="0.01"):
            call_command("build_demo", "--scale", "2", stdout=io.StringIO())
