"""Pure rules of the exclusive link: no database."""

from django.utils.http import url_has_allowed_host_and_scheme


def landing_url(requested, *, default, allowed_hosts, require_https):
    """Where a link click lands: `requested` when it is a path or a URL on an
    allowed host, otherwise `default`. Refuses `//evil.example`,
    `\\\\evil.example`, `javascript:` and any off-site absolute URL."""
    if not requested:
        return default
    requested = requested.strip()
    if "\\" in requested or any(ord(character) < 32 or ord(character) == 127 for character in requested):
        return default
    if url_has_allowed_host_and_scheme(requested, allowed_hosts=set(allowed_hosts), require_https=require_https):
        return requested
    return default
