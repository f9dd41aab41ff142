from typing import NamedTuple

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .money import AmountInvalid, parse_yuan
from .months import MonthError, month_of, month_parse


class FocusingBoundField(forms.BoundField):
    """A field that takes the focus when it is the first the person must correct: the page
    then opens there, not at its top, however far down a phone shows the form."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and self.name == self.form.first_invalid_field():
            attrs["autofocus"] = True
        return attrs


class SummaryItem(NamedTuple):
    """One line of the error summary (templates/partials/form_errors.html); `field_id` is
    what it links to, empty for the form's own errors."""

    field_id: str
    label: str
    message: str


class PortalForm(forms.Form):
    """Labels without Django's trailing colon, which reads wrong in Chinese. After a bad
    submit, the first field to correct has the focus, and `error_summary` lists what to correct."""

    bound_field_class = FocusingBoundField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def first_invalid_field(self):
        """The name of the first visible field, in the form's order, with an error; or None."""
        return next((field.name for field in self.visible_fields() if field.errors), None)

    def error_summary(self):
        """[SummaryItem]: the form's own errors, then one per field with an error, in the form's order."""
        items = [SummaryItem("", "", message) for message in self.non_field_errors()]
        for field in self:
            if field.errors:
                items.append(self._summary_item(field))
        return items

    @staticmethod
    def _summary_item(field):
        message = " ".join(field.errors)
        if field.is_hidden:  # nothing to link to or to correct by hand
            return SummaryItem("", "", message)
        # A checkbox's label is a sentence to agree to, not a name; its message says what is missing.
        label = "" if field.widget_type == "checkbox" else field.label
        return SummaryItem(field.id_for_label, label, message)


class YuanField(forms.DecimalField):
    """An amount of yuan, read by `portal.kernel.money.parse_yuan` like every other amount:
    Django's DecimalField would take "1e3", "1_000", "+5" and full-width digits."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_yuan(str(value).strip())
        except AmountInvalid as invalid:
            raise self._refusal(invalid.code) from None

    def _refusal(self, code):
        if code == "places":
            return ValidationError(
                self.error_messages["max_decimal_places"], code="max_decimal_places", params={"max": 2}
            )
        if code == "negative" and self.min_value is not None:
            # "-5" is below the minimum: saying so helps more than "not an amount".
            message = self.error_messages.get("min_value", MinValueValidator.message)
            return ValidationError(message, code="min_value", params={"limit_value": self.min_value})
        return ValidationError(self.error_messages["invalid"], code="invalid")


class MonthField(forms.Field):
    """A month typed as "YYYY-MM" (`portal.kernel.months.month_parse`), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if hasattr(value, "year"):  # an initial date
            return month_of(value)
        try:
            return month_parse(value)
        except MonthError as error:
            raise ValidationError(error.message, code="invalid_month") from None


class SharedFields(dict):
    """A form's declared fields, handed to each instance as they are: Django deep-copies them for
    every form (each field, its widget, its choices), in case one instance changes them. A filter
    form built on each request of a hot page never does, and the copy cost more than reading the
    query string (docs/PERFORMANCE.md). An instance still gets a dict of its own."""

    def __deepcopy__(self, memo):
        return dict(self)


class _SharedFieldsMetaclass(forms.forms.DeclarativeFieldsMetaclass):
    def __new__(mcs, name, bases, attrs):
        form_class = super().__new__(mcs, name, bases, attrs)
        form_class.base_fields = SharedFields(form_class.base_fields)
        return form_class


class QueryForm(PortalForm, metaclass=_SharedFieldsMetaclass):
    """Filters read from a query string. A filter given twice (`?month=a&month=b`) is refused
    rather than one of the values silently chosen. Its fields are shared by its instances
    (`SharedFields`): a subclass never changes a field in `__init__` or later (a test made
    in a fresh interpreter holds every QueryForm of the portal to it)."""

    def clean(self):
        cleaned = super().clean()
        if isinstance(self.data, QueryDict):
            for name in self.fields:
                if len(self.data.getlist(self.add_prefix(name))) > 1:
                    self.add_error(name, _("只能填写一个值。"))
        return cleaned

    def error_list(self):
        """[{"field", "message"}], as the JSON APIs answer a 400."""
        return [
            {"field": field, "message": str(message)} for field, messages in self.errors.items() for message in messages
        ]
