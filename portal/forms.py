from django import forms
from django.core.exceptions import ValidationError

from .money import AmountInvalid, parse_yuan


class PortalForm(forms.Form):
    """Labels without Django's trailing colon, which reads wrong in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class YuanField(forms.DecimalField):
    """An amount of yuan, read by `portal.money.parse_yuan` like every other amount:
    Django's DecimalField would take "1e3", "1_000", "+5" and full-width digits."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_yuan(str(value).strip())
        except AmountInvalid as invalid:
            if invalid.code == "places":
                raise ValidationError(
                    self.error_messages["max_decimal_places"], code="max_decimal_places", params={"max": 2}
                ) from None
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
