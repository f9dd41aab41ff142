from django import template

register = template.Library()


@register.filter
def account_number(uid):
    """An account's id as a person reads it out: the first eight hex digits of its UUID in two
    groups ("5EBD-D518"). The full UUID stays the account's id in the API."""
    digits = uid.hex[:8].upper()
    return f"{digits[:4]}-{digits[4:]}"
