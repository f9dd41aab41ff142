"""Pure rules of the ambassador account (R10): no database, easy to test.

Each check raises `RuleViolation` with a code (for tests and logs) and a
sentence for the person who typed the value.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from portal.kernel.errors import PortalError
from portal.kernel.personal_data import normalise_email, normalise_id_number, normalise_name, normalise_phone

MINIMUM_AGE = 18
# No living person was born earlier: a number that says year 1 or 1800 is made up, however right
# its check character.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# GB 11643-1999: the 18th character is ISO 7064 MOD 11-2 over the first 17.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARACTERS = "10X98765432"

# Chinese characters (with the rarer extension blocks), in parts joined by one middle dot as in
# 阿依古丽·买买提 (also typed as a bullet); a dot never starts or ends a name or stands alone.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
_LEGAL_NAME = re.compile(rf"[{_HAN}]+(?:[·•][{_HAN}]+)*")
_LEGAL_NAME_LENGTH = range(2, 31)
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class RuleViolation(PortalError):
    """A value a rule refuses: `code` names the check (for forms, tests and logs)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date


def id_check_character(first_17_digits: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARACTERS[total % 11]


def age_on(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def resident_id_check(value: str, *, today: date) -> ResidentId:
    """Validate an 18-character resident ID number for an adult (R10.1)."""
    number = normalise_id_number(value)
    if len(number) != 18:
        raise RuleViolation("id_length", _("身份证号应为 18 位，当前为 %(n)d 位。") % {"n": len(number)})
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise RuleViolation("id_characters", _("身份证号只能包含数字，最后一位可以是 X。"))
    if id_check_character(number[:17]) != number[17]:
        raise RuleViolation("id_check_digit", _("身份证号校验位不正确，请核对后重新输入。"))
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise RuleViolation("id_birth_date", _("身份证号中的出生日期不是真实日期。")) from None
    if birth_date > today:
        raise RuleViolation("id_birth_date", _("身份证号中的出生日期不是真实日期。"))
    if birth_date < EARLIEST_BIRTH_DATE:
        raise RuleViolation(
            "id_birth_date",
            _("身份证号中的出生日期早于 %(year)d 年，请核对后重新输入。") % {"year": EARLIEST_BIRTH_DATE.year},
        )
    if age_on(birth_date, today) < MINIMUM_AGE:
        raise RuleViolation("id_underage", _("云大使须年满 %(age)d 周岁。") % {"age": MINIMUM_AGE})
    return ResidentId(number=number, birth_date=birth_date)


def legal_name_check(value: str) -> str:
    name = normalise_name(value)
    if len(name) not in _LEGAL_NAME_LENGTH or not _LEGAL_NAME.fullmatch(name):
        raise RuleViolation("name_format", _("请填写身份证上的中文姓名（2–30 个汉字，少数民族姓名可含“·”）。"))
    return name


def phone_check(value: str) -> str:
    phone = normalise_phone(value)
    if not _MAINLAND_MOBILE.fullmatch(phone):
        raise RuleViolation("phone_format", _("请填写 11 位中国大陆手机号。"))
    return phone


def alipay_account_check(value: str) -> str:
    """An Alipay logon id is a mainland mobile number or an email address."""
    value = (value or "").strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise RuleViolation("alipay_format", _("支付宝账号应为手机号或邮箱地址。")) from None
        return normalise_email(value)
    phone = normalise_phone(value)
    if not _MAINLAND_MOBILE.fullmatch(phone):
        raise RuleViolation("alipay_format", _("支付宝账号应为手机号或邮箱地址。"))
    return phone
