from .center import SECTIONS

# Pages that live under another entry of the menu.
_PARENT_SECTION = {
    "verify": "account",
    "verification": "account",
    "alipay": "account",
    "cancel": "account",
    "token_create": "account",
}


def center(request):
    """The personal-center menu and which entry the current page belongs to."""
    match = request.resolver_match
    if match is None or match.namespace != "center":
        return {}
    active = _PARENT_SECTION.get(match.url_name, match.url_name)
    return {"center_sections": SECTIONS, "active": active}
