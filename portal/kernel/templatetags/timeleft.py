import math

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def days_left(moment, now=None):
    """Whole days, rounded up, from now until `moment`; 0 once it has passed."""
    remaining = (moment - (now or timezone.now())).total_seconds()
    return max(0, math.ceil(remaining / 86400))
