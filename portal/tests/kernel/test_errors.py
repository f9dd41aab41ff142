"""One application error: what a service refuses reaches the person as one message."""

import pytest

from ambassadors import rules
from portal.kernel.errors import PortalError
from portal.kernel.months import MonthError, month_parse


def test_a_rule_violation_is_a_portal_error_with_its_code_and_message():
    with pytest.raises(PortalError) as refusal:
        rules.phone_check("12345")
    assert isinstance(refusal.value, rules.RuleViolation)
    assert (refusal.value.code, refusal.value.message) == ("phone_format", "请填写 11 位中国大陆手机号。")


def test_a_month_that_cannot_be_read_is_a_portal_error():
    with pytest.raises(PortalError) as refusal:
        month_parse("2026-13")
    assert isinstance(refusal.value, MonthError)
    assert refusal.value.message == "月份应在 01 到 12 之间。"
