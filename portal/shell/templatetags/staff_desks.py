from django import template

from portal.shell.desks import desks_waiting

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_on_desks(context):
    return desks_waiting(context["request"].user)
