from django import forms


class PortalForm(forms.Form):
    """Labels without Django's trailing colon, which reads wrong in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
