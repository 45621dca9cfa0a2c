"""GB 11643 and GB 32100 vectors from security.md §7, each with the message the user sees."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from ylyx.core.validators import validate_id_number, validate_uscc

VALID_IDS = [
    ("34052419800101001X", dt.date(1980, 1, 1), "M"),
    ("11010519491231002X", dt.date(1949, 12, 31), "F"),
    ("440524188001010014", dt.date(1880, 1, 1), "M"),
    ("360426199101010071", dt.date(1991, 1, 1), "M"),
]


@pytest.mark.parametrize("number,born,sex", VALID_IDS)
def test_valid_id_numbers(number, born, sex):
    info = validate_id_number(number)
    assert (info.number, info.birth_date, info.sex) == (number, born, sex)


def test_id_normalisation_lowercase_spaces_fullwidth():
    assert validate_id_number(" 11010519491231002x ").number == "11010519491231002X"
    assert validate_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


@pytest.mark.parametrize("number,code", [
    ("110105194912310021", "checksum"),
    ("11010519491231002Y", "format"),
    ("440524818001010014", "birth_date"),
    ("360426199101010081", "checksum"),
    ("110105194902300020", "birth_date"),
    ("990105194912310023", "region"),
    ("1.10105E+17", "numeric"),
    ("110105194912310000", "checksum"),
])
def test_invalid_id_numbers(number, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(number)
    assert exc.value.code == code
    assert "身份证号" in exc.value.messages[0]


def test_retired_county_code_accepted():
    # 152800 was 巴彦淖尔盟 until 2003: retired codes stay valid in ID numbers (security.md ID-5).
    from ylyx.testing import fake_id_number

    n = fake_id_number(dt.date(1940, 2, 29), "M", "152800")
    assert validate_id_number(n).birth_date == dt.date(1940, 2, 29)


def test_uscc_vectors():
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert validate_uscc("91110000600037341L") == "91110000600037341L"
    for bad, code in [("91350100M000100Y44", "checksum"), ("91350100M000100Y53", "checksum"),
                      ("91110000600037342L", "checksum"), ("91350100M000100Y4O", "format"),
                      ("91350100M000100Y4", "length")]:
        with pytest.raises(ValidationError) as exc:
            validate_uscc(bad)
        assert exc.value.code == code, bad
