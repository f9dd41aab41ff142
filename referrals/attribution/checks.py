from django.conf import settings
from django.core.checks import Error, register

from .rules import MODELS


@register()
def attribution_configured(app_configs, **kwargs):
    """Refuse to start with an attribution model or window that cannot work (R3.6)."""
    config = settings.REFERRAL_ATTRIBUTION
    errors = []
    if config.get("model") not in MODELS:
        errors.append(
            Error(
                f"REFERRAL_ATTRIBUTION_MODEL is {config.get('model')!r}; "
                f"it must be one of {', '.join(sorted(MODELS))}.",
                id="referrals.E001",
            )
        )
    if not isinstance(config.get("window_days"), int) or config["window_days"] < 1:
        errors.append(Error("REFERRAL_WINDOW_DAYS must be a whole number of days, 1 or more.", id="referrals.E002"))
    return errors
