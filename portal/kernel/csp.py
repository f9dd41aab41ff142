"""The Content-Security-Policy of every page (Django's ContentSecurityPolicyMiddleware).

Scripts, styles, images and fonts come from this site only, as files: no inline script, no
inline style, no plugins, no framing, and forms post only here. The portal's own pages have no
inline script (static/js/). The one exception is django-import-export's export page in the
admin, whose "select all" box has an inline handler and whose labels have two style
attributes: those exact attributes are allowed by their hashes, as attributes only
(`-attr` directives, 'unsafe-hashes'), so no other inline code runs anywhere."""

import base64
import hashlib

from django.utils.csp import CSP


def _attribute_hash(source):
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


IMPORT_EXPORT_HANDLERS = ["onSelectToggleChange(event)"]
IMPORT_EXPORT_STYLES = ["padding: 0;", "font-weight: bold;"]

POLICY = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "script-src-attr": [CSP.UNSAFE_HASHES, *map(_attribute_hash, IMPORT_EXPORT_HANDLERS)],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_HASHES, *map(_attribute_hash, IMPORT_EXPORT_STYLES)],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
