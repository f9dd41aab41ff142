from .center import SECTIONS

# Onboarding pages live under the 账号 section of the menu.
_ACCOUNT_PAGES = {"account", "verify", "verification", "alipay", "cancel"}


def center(request):
    """The personal-center menu and which entry the current page belongs to."""
    match = request.resolver_match
    if match is None or match.namespace != "center":
        return {}
    if match.url_name == "section":
        active = match.kwargs.get("slug")
    elif match.url_name in _ACCOUNT_PAGES:
        active = "account"
    else:
        active = match.url_name
    return {"center_sections": SECTIONS, "active": active}
