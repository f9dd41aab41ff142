"""Template filters that show personal data masked, never in clear."""

from django import template

from portal.kernel import personal_data

register = template.Library()


@register.filter
def masked_account(user):
    """A customer as an ambassador may see them: the email masked, with the account's short number."""
    return personal_data.masked_account_label(user.email, user.uid)
