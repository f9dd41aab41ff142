"""portal.kernel.forms.QueryForm: filter forms share their fields instead of deep-copying them
on every request; each instance still keeps its own data, cleaned values and errors."""

from django import forms
from django.http import QueryDict

from portal.kernel.forms import MonthField, PortalForm, QueryForm
from referrals.rebates.forms import RebateOrderFilters


class Filters(QueryForm):
    month = MonthField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", ""), ("paid", "paid")])


def test_instances_share_the_declared_fields_in_dicts_of_their_own():
    one, other = Filters(QueryDict("")), Filters(QueryDict(""))
    assert one.fields["month"] is Filters.base_fields["month"] is other.fields["month"]
    assert one.fields is not other.fields and one.fields is not Filters.base_fields


def test_a_field_left_out_of_one_instance_stays_in_the_others():
    trimmed = Filters(QueryDict(""))
    del trimmed.fields["status"]
    assert list(Filters(QueryDict("")).fields) == ["month", "status"]


def test_instances_cleaned_in_turn_keep_their_own_values_and_errors():
    wrong = Filters(QueryDict("month=2026-13&status=nope"))
    right = Filters(QueryDict("month=2026-11&status=paid"))
    assert right.is_valid() and not wrong.is_valid()
    assert str(right.cleaned_data["month"]) == "2026-11-01" and right.cleaned_data["status"] == "paid"
    assert sorted(wrong.errors) == ["month", "status"] and not right.errors
    again = Filters(QueryDict(""))
    assert again.is_valid() and again.cleaned_data == {"month": None, "status": ""}


def test_the_rebate_filters_share_their_fields_and_other_forms_still_copy_theirs():
    class Plain(PortalForm):
        name = forms.CharField()

    assert RebateOrderFilters(QueryDict("")).fields["type"] is RebateOrderFilters.base_fields["type"]
    assert Plain().fields["name"] is not Plain.base_fields["name"]
