"""portal.kernel.forms.PortalForm after a bad submit: the summary of what to correct
(templates/partials/form_errors.html) and the focus on the first field to correct."""

import re

from django import forms
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation

from portal.kernel.forms import PortalForm, QueryForm, SummaryItem


class Dates(PortalForm):
    start = forms.DateField(label="开始")
    end = forms.DateField(label="结束")
    agreed = forms.BooleanField(label="我同意以上条款", error_messages={"required": "请勾选同意。"})
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        super().clean()
        self.add_error("start", "开始日期不能晚于结束日期。")  # added last, to a field before the others
        raise forms.ValidationError("这段时间无法查询。")


class Filters(QueryForm):
    month = forms.CharField(required=False, max_length=7)


def rendered(form):
    return render_to_string("partials/form_errors.html", {"form": form})


def test_the_summary_lists_the_forms_own_errors_then_each_field_in_order():
    form = Dates({"end": "2026-12-01"})
    with translation.override("zh-hans"):
        assert form.error_summary() == [
            SummaryItem("", "", "这段时间无法查询。"),
            SummaryItem("id_start", "开始", "这个字段是必填项。 开始日期不能晚于结束日期。"),
            SummaryItem("id_agreed", "", "请勾选同意。"),  # a checkbox's sentence is not repeated
            SummaryItem("", "", "这个字段是必填项。"),  # the hidden token: nothing to link to
        ]


def test_the_forms_own_errors_are_shown_in_the_summary_without_a_link():
    with translation.override("en"):
        html = rendered(Dates({"start": "2026-11-01", "end": "2026-12-01", "agreed": "on", "token": "t"}))
    assert 'role="alert"' in html and "Please correct the 2 problems below:" in html
    assert "<li>这段时间无法查询。</li>" in html
    assert '<a href="#id_start">开始: 开始日期不能晚于结束日期。</a>' in html


def test_a_form_without_errors_renders_no_summary():
    assert rendered(Dates()).strip() == ""
    assert rendered(Filters(QueryDict("month=2026-11"))).strip() == ""


def test_only_the_first_visible_field_in_error_has_the_focus():
    form = Dates({"start": "2026-11-01", "end": "someday", "agreed": "on"})
    assert list(form.errors)[:2] == ["end", "token"]  # "start" is in error only after clean()
    html = "".join(str(field) for field in form)
    focused = [tag for tag in re.findall(r"<input[^>]*>", html) if " autofocus" in tag]
    assert len(focused) == 1 and 'name="start"' in focused[0]
    assert "autofocus" not in str(form["end"])  # in error too, but after "start"


def test_the_focus_leaves_the_fields_a_query_form_shares_alone():
    """QueryForm instances share their fields: the focus is set as a field is shown, never on it."""
    assert "autofocus" in str(Filters(QueryDict("month=2026-11-30"))["month"])
    assert "autofocus" not in str(Filters(QueryDict("month=2026-11"))["month"])
    assert "autofocus" not in Filters.base_fields["month"].widget.attrs
