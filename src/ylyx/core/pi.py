"""Personal identity fields shared by every model that holds a 身份证号: encrypted value, blind index, mask.

Sensitivity tags (security.md SEC-PI-1, SEC-AC-7) are declared next to the fields in ``PI_FIELDS``;
docs/data-dictionary.md lists each with its purpose, and a test keeps the two in step.
"""

from __future__ import annotations

from django.db import models

from . import crypto, mask
from .validators import validate_id_number, validate_phone


class IdentityMixin(models.Model):
    name = models.CharField("姓名", max_length=50)
    id_number_enc = models.TextField("身份证号（密文）", blank=True, default="", editable=False)
    id_bidx = models.CharField("身份证号索引", max_length=64, blank=True, default="", editable=False, db_index=True)
    id_last4 = models.CharField("身份证号后四位", max_length=4, blank=True, default="", editable=False)
    sex = models.CharField("性别", max_length=1, choices=[("M", "男"), ("F", "女")], blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True, db_index=True)
    phone_enc = models.TextField("电话（密文）", blank=True, default="", editable=False)

    PI_FIELDS = {"name": "personal", "id_number_enc": "sensitive", "phone_enc": "personal",
                 "birth_date": "personal", "sex": "personal"}

    class Meta:
        abstract = True

    def set_id_number(self, raw: str) -> list[str]:
        """Validate, encrypt and index; returns warnings (a sex mismatch is a warning, security.md ID-4)."""
        info = validate_id_number(raw)
        warnings = []
        if self.sex and self.sex != info.sex:
            warnings.append("性别与身份证号第 17 位不一致，已按填写的性别保存，请核对")
        self.id_number_enc = crypto.encrypt_field(info.number)
        self.id_bidx = crypto.blind_index(info.number)
        self.id_last4 = info.number[-4:]
        self.birth_date = info.birth_date
        if not self.sex:
            self.sex = info.sex
        return warnings

    @property
    def id_number(self) -> str:
        return crypto.decrypt_field(self.id_number_enc)

    @property
    def id_number_masked(self) -> str:
        if not self.id_number_enc:
            return ""
        # The mask shows the first three and last four characters; decrypt only what it needs.
        return mask.mask_id_number(self.id_number)

    @property
    def name_masked(self) -> str:
        return mask.mask_name(self.name)

    def set_phone(self, raw: str) -> None:
        self.phone_enc = crypto.encrypt_field(validate_phone(raw)) if raw else ""

    @property
    def phone(self) -> str:
        return crypto.decrypt_field(self.phone_enc)

    @property
    def phone_masked(self) -> str:
        return mask.mask_phone(self.phone)

    @classmethod
    def lookup_by_id_number(cls, qs, raw: str):
        info = validate_id_number(raw)
        return qs.filter(id_bidx=crypto.blind_index(info.number))
