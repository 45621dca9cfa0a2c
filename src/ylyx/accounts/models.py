"""Users with one role and one scope: a region subtree, or an institution for operators."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from ylyx.core.permissions import Role
from ylyx.regions.models import PREFIX_LEN


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.TOWN_OFFICER)
    region = models.ForeignKey("regions.Region", verbose_name="管辖区划", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("institutions.Institution", verbose_name="所属机构", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="operators")
    can_view_full_pi = models.BooleanField("可查看完整个人信息", default=False,
                                           help_text="查看完整身份证号等须填写理由并留痕")
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)
    must_change_password = models.BooleanField("首次登录须改密码", default=False)
    valid_until = models.DateField("账号有效期至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [models.UniqueConstraint(Lower("username"), name="user_username_ci_unique")]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def region_prefix(self) -> str:
        if self.region_id is None or self.region is None:
            return ""
        return self.region_id[: PREFIX_LEN[self.region.level]]


class PasswordHistory(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"
