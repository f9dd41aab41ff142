from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .months import MonthError, month_of, month_parse


class PortalForm(forms.Form):
    """Labels without Django's trailing colon, which reads wrong in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MonthField(forms.Field):
    """A month typed as "YYYY-MM" (`portal.months.month_parse`), cleaned to its first day."""

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


class QueryForm(PortalForm):
    """Filters read from a query string. A filter given twice (`?month=a&month=b`) is refused
    rather than one of the values silently chosen."""

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
