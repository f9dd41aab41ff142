"""Amounts as the pages show them."""

from django import template

from portal.kernel.money import yuan_figure

register = template.Library()


@register.filter
def yuan(amount):
    """`¥{{ amount|yuan }}`: 12,345.60; nothing for no amount."""
    return "" if amount is None or amount == "" else yuan_figure(amount)
