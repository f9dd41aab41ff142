"""R10.1: what a real-name verification and an Alipay binding accept."""

from datetime import date

import pytest

from ambassadors import rules
from ambassadors.tests.factories import make_id_number

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x"])
def test_valid_resident_ids_from_the_standard(number):
    resident_id = rules.resident_id_check(number, today=TODAY)
    assert resident_id.number == number.upper()


@pytest.mark.parametrize(("first_17", "check"), [("11010519491231002", "X"), ("44052418800101001", "4")])
def test_the_check_character_of_gb_11643(first_17, check):
    assert rules.id_check_character(first_17) == check


def test_birth_date_is_read_from_the_number():
    assert rules.resident_id_check("11010519491231002X", today=TODAY).birth_date == date(1949, 12, 31)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("440304199001011234", "id_check_digit"),
        ("11010519491231002", "id_length"),
        ("11010519491231002X1", "id_length"),
        ("", "id_length"),
        ("1101051949123100AX", "id_characters"),
        ("X10105194912310021", "id_characters"),
    ],
)
def test_malformed_resident_ids_are_refused_with_their_own_reason(number, code):
    with pytest.raises(rules.RuleViolation) as refusal:
        rules.resident_id_check(number, today=TODAY)
    assert refusal.value.code == code
    assert refusal.value.message


def test_spaces_are_ignored():
    assert rules.resident_id_check(" 110105 19491231 002X ", today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "20270101"])
def test_a_birth_date_that_is_not_real_or_is_in_the_future_is_refused(birth):
    # The check character is right, so only the date can fail.
    with pytest.raises(rules.RuleViolation) as refusal:
        rules.resident_id_check(make_id_number(birth=birth), today=TODAY)
    assert refusal.value.code == "id_birth_date"


@pytest.mark.parametrize("birth", ["00010101", "18000101", "18991231", "18800101"])
def test_a_birth_date_before_1900_is_refused_though_its_check_character_is_right(birth):
    """Year 1 and 1800 are real dates of the calendar, not of a living person."""
    with pytest.raises(rules.RuleViolation) as refusal:
        rules.resident_id_check(make_id_number(birth=birth), today=TODAY)
    assert refusal.value.code == "id_birth_date" and "1900" in refusal.value.message


def test_the_earliest_birth_date_accepted_is_the_first_of_1900():
    assert rules.resident_id_check(make_id_number(birth="19000101"), today=TODAY).birth_date == date(1900, 1, 1)


def test_an_ambassador_is_eighteen_on_their_birthday_and_not_the_day_before():
    assert rules.resident_id_check(make_id_number(birth="20081126"), today=TODAY)
    with pytest.raises(rules.RuleViolation) as refusal:
        rules.resident_id_check(make_id_number(birth="20081127"), today=TODAY)
    assert refusal.value.code == "id_underage"


def test_a_leap_day_birthday_comes_of_age_on_the_first_of_march():
    assert rules.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert rules.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "李四", "阿依古丽•买买提", "𠀋三"])
def test_chinese_legal_names_are_accepted(name):
    assert rules.legal_name_check(name) == name


@pytest.mark.parametrize(
    "name",
    [
        *["", "张", "Zhang San", "张三1", "<script>", "张" * 31],
        # separators alone, or not between two parts of a name
        *[
            "··",
            "•••",
            "・・",
            "..",
            "· ·",
            "·•·",
            "张·",
            "·张",
            "·张三",
            "张三·",
            "张··三",
            "张 三",
            "张・三",
            "张.三",
        ],
    ],
)
def test_other_names_are_refused(name):
    with pytest.raises(rules.RuleViolation) as refusal:
        rules.legal_name_check(name)
    assert refusal.value.code == "name_format"


@pytest.mark.parametrize(
    ("typed", "normalised"), [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678")]
)
def test_mainland_mobile_numbers_are_normalised(typed, normalised):
    assert rules.phone_check(typed) == normalised


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "abc"])
def test_other_phone_numbers_are_refused(phone):
    with pytest.raises(rules.RuleViolation):
        rules.phone_check(phone)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("13812345678", "13812345678"), ("Zhang.San@Example.com", "zhang.san@example.com")],
)
def test_alipay_logon_ids_are_a_phone_or_an_email(typed, normalised):
    assert rules.alipay_account_check(typed) == normalised


@pytest.mark.parametrize("account", ["", "zhangsan", "not@an@email", "12345"])
def test_other_alipay_logon_ids_are_refused(account):
    with pytest.raises(rules.RuleViolation) as refusal:
        rules.alipay_account_check(account)
    assert refusal.value.code == "alipay_format"
