"""The invitation a visitor's referral cookie carries, for the sign-up and log-in pages."""

from django import template

from referrals.attribution.cookies import referral_from_request
from referrals.attribution.selectors import invitation_for_code

register = template.Library()


@register.simple_tag(takes_context=True)
def referral_invitation(context):
    """The invitation of the link the visitor came through, or None. No query without the cookie."""
    request = context.get("request")
    visit = referral_from_request(request) if request is not None else None
    return invitation_for_code(visit.code) if visit is not None else None
