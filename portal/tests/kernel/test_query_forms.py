"""portal.kernel.forms.QueryForm: filter forms share their fields instead of deep-copying them
on every request; each instance still keeps its own data, cleaned values and errors."""

import json
import os
import subprocess
import sys

from django import forms
from django.conf import settings
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


# Run in a fresh interpreter: an instance made earlier in this process (by another test) would
# already have made any change, and the state read "before" would include it.
FIELDS_UNCHANGED = """
import copy
import json
import django
django.setup()
from django.http import QueryDict
import payouts.admin  # each module that declares a QueryForm
import referrals.rebates.forms
from portal.kernel.forms import QueryForm

def query_forms(form_class=QueryForm):
    for subclass in form_class.__subclasses__():
        yield subclass
        yield from query_forms(subclass)

def state(fields):
    own = {name: {k: v for k, v in vars(field).items() if k != "widget"} for name, field in fields.items()}
    return copy.deepcopy((own, {name: vars(field.widget) for name, field in fields.items()}))

forms = list(query_forms())
before = {form_class: state(form_class.base_fields) for form_class in forms}
for form_class in forms:
    for query in ("", "month=2026-11&status=settled&type=renewal", "month=2026-13&status=x&status=y"):
        form = form_class(QueryDict(query))
        form.is_valid()
        "".join(str(bound_field) for bound_field in form)  # rendered too
changed = [form_class.__name__ for form_class in forms if state(form_class.base_fields) != before[form_class]]
print(json.dumps({"forms": [form_class.__name__ for form_class in forms], "changed": changed}))
"""


def test_no_query_form_of_the_portal_changes_the_fields_it_shares():
    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    ran = subprocess.run(
        [sys.executable, "-c", FIELDS_UNCHANGED], env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert {"MonthQuery", "RebateOrderFilters"} <= set(seen["forms"])
    assert seen["changed"] == []
