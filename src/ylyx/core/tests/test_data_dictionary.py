"""Every PI field a model declares is listed in docs/data-dictionary.md (security.md SEC-PI-1, PI-3)."""

import re

from django.apps import apps
from django.conf import settings


def test_every_pi_field_is_in_the_dictionary():
    text = (settings.REPO_DIR / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (\w+) \| (\w+) \|", text, flags=re.M))
    missing = []
    declared = 0
    for model in apps.get_models():
        for field in getattr(model, "PI_FIELDS", {}):
            declared += 1
            if (model.__name__, field) not in listed:
                missing.append(f"{model.__name__}.{field}")
    assert declared >= 15
    assert missing == []
