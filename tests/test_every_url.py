"""Every URL of the URLconf, as every kind of user, with hostile path values, query strings and
forms: no answer is a server error. 4xx, 3xx and 200 are all fine; a 5xx, or an exception while a
streamed download is read, is a failure listed with what was asked.

The paths come from walking the URLconf itself, so a URL added later is walked too. Path values
are the ids of objects that exist (another user's among them), and values that do not fit: 0,
too large for any integer column, text, a NUL byte. The data is the demo's (`load_demo`), which
has a row of nearly every model, on a pinned day.

Each path is asked GET with every hostile query string and POST with an empty form, a garbage
form and a garbage form under a hostile query string. To stay within a minute, what cannot differ
is asked once: a path to an object that does not exist is asked one GET (on an admin's change
page: its history and delete pages look the object up the same way); an admin object's pages
(which read only the `_changelist_filters`, `_popup` and `_to_field` of the query) two GETs; a
path that answers 403, a fixed redirect, and the admin for a user who is not staff, one GET and
one hostile POST (the permission check or the redirect comes first). The demo is loaded once for
the module.

The events API's POST body is left to its own tests (referrals/tests/billing/test_events_api.py): it is
signed, and an unsigned body is refused before it is read.
"""

import io
import itertools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.views.generic import RedirectView

from ambassadors.models import Ambassador, Verification
from portal.kernel.api_tokens import api_token_create
from portal.kernel.models import ApiToken, User
from referrals.models import ReferralLink

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
USERS = {
    "anonymous": None,
    "customer": "customer@demo.local",
    "ambassador": "ambassador@demo.local",  # verified, Alipay bound
    "risk": "risk@demo.local",
    "finance": "finance@demo.local",
    "operations": "ops@demo.local",
    "superuser": "admin@demo.local",
}
LONG = "9" * 5000
# Each query string mixes several hostile values; a name recurs across strings with other values
# and other neighbours, so an early refusal of one does not hide what another would do.
QUERIES = [
    "",
    "month=9999-12&page=-1&p=-1&status=<script>&q=<script>&o=garbage&type=<script>&view=lost&kind=%ff&e=1",
    f"page=99999999999999999999&p=99999999999999999999&before=99999999999999999999999.1&q={LONG}&o=99.-1&all=",
    "month=a&month=b&page=1&page=2&status=pending&status=settled&q=a&q=b&format=csv&format=xlsx&view=x&view=y",
    f"month={LONG}&format=csv&state__exact=<script>&requested_at__gte=garbage&id__gt=abc&verified_at__isnull=maybe",
    "month=0000-01&format=xlsx&page=abc&p=abc&before=garbage&to=//evil.example/&next=//evil.example/&o=-&type=",
    "q=%00&to=%00",  # a NUL: refused before any view (portal.kernel.middleware)
]
# An admin object's pages read only these of the query string.
OBJECT_QUERIES = ["", "_changelist_filters=%ff%fe&_popup=1&_to_field=password&_to_field=id"]
GARBAGE_FORM = {
    "month": "9999-12",
    "format": "csv",  # valid: the sheets then read the month
    "amount": "1e309",
    "password": "x",
    "password1": "x",
    "password2": "y",
    "oldpassword": "\x00",
    "login": "not-an-email",
    "email": "not-an-email",
    "action": "<script>",
    "_selected_action": ["abc", "99999999999999999999"],
    "index": "-1",
    "select_across": "2",
    "decision": "<script>",
    "reason": LONG,
    "file": "not a file",
    "name": LONG,
    "code": "\x00",
    "language": "<script>",
    "next": "//evil.example/",
    "request_token": "not-a-uuid",
    "legal_name": "···",
    "id_number": "11010518000101001X",
    "phone": "１３８００１３８０００",
    "account": "x",
    "account_again": "y",
    "consent": "maybe",
    "month_0": "x",
}
POSTS = [("", {}), ("", GARBAGE_FORM)]  # (query string, form)
HOSTILE_POST = (QUERIES[1], GARBAGE_FORM)
HOSTILE_IDS = ["0", "99999999999999999999", "%00"]  # none exists; too large for any column; a NUL
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


def url_patterns(patterns=None, chain=()):
    """(the patterns from the root to a view, the view) for every view of the URLconf."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, (*chain, pattern))
        else:
            yield (*chain, pattern), pattern.callback


def admin_model(chain):
    """The model a URL of a model admin is about, from the `<app>/<model>/` step of its chain."""
    prefixes = {f"{model._meta.app_label}/{model._meta.model_name}/": model for model in admin.site._registry}
    return next((prefixes[str(step.pattern)] for step in chain if str(step.pattern) in prefixes), None)


def values_for(name, chain, body=""):
    """(existing, hostile) values for a path parameter: objects that exist, another user's among
    them, and values that should each be a 404, a 400 or a redirect."""
    model = admin_model(chain)
    if name == "object_id" and model is not None:  # one object: the admin's pages are alike for each
        return [str(model._default_manager.order_by("pk").values_list("pk", flat=True).last())], HOSTILE_IDS
    if name == "content_type_id":
        return [str(ContentType.objects.get_for_model(Ambassador).pk)], HOSTILE_IDS
    if name == "object_id":  # view on site: an ambassador
        return [str(Ambassador.objects.order_by("pk").values_list("pk", flat=True).first())], HOSTILE_IDS
    if name == "pk" and "tokens" in "".join(str(step.pattern) for step in chain):
        return [str(pk) for pk in ApiToken.objects.values_list("pk", flat=True)], HOSTILE_IDS
    if name == "pk":  # a verification
        return [str(pk) for pk in Verification.objects.values_list("pk", flat=True)], HOSTILE_IDS
    if name == "code":
        return [ReferralLink.objects.first().code], ["NOPE2345ABCD", "x" * 300, "%00"]
    if name == "app_label":
        return body.split("|"), ["nope"]
    return [], ["nope", "0", "%00", "x" * 300]


def paths_of(chain, view):
    """Concrete paths to `view`, each with whether all its values exist: each parameter filled
    with each of its values, kept only where the path resolves to that same view (an int
    converter refuses "nope")."""
    parts, parameters = [], []
    for step in chain:
        text = str(step.pattern)
        if hasattr(step.pattern, "_route"):
            parameters += [(match["name"], "") for match in _ROUTE_PARAMETER.finditer(text)]
            parts.append(_ROUTE_PARAMETER.sub(lambda match: "{" + match["name"] + "}", text))
        else:
            parameters += [(match["name"], match["body"]) for match in _REGEX_GROUP.finditer(text)]
            text = _REGEX_GROUP.sub(lambda match: "{" + match["name"] + "}", text)
            parts.append(text.removeprefix("^").removesuffix("$").replace("\\", ""))
    template = "/" + "".join(parts)
    names = [name for name, _ in parameters]
    choices = []
    for name, body in parameters:
        existing, hostile = values_for(name, chain, body)
        choices.append([(value, True) for value in existing] + [(value, False) for value in hostile])
    for combination in itertools.product(*choices):
        path = template.format(**{name: value for name, (value, _) in zip(names, combination, strict=True)})
        try:
            if resolve(path.replace("%00", "\x00")).func is view:
                yield path, all(exists for _, exists in combination)
        except Resolver404:
            continue


def read_all(response):
    """A streamed download is produced while it is read: read it, so its errors surface here (the
    test client closes the response at the end, as a WSGI server would)."""
    if getattr(response, "streaming", False):
        for _ in response.streaming_content:
            pass


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo's data, loaded once for every kind of user in a transaction rolled back at the
    end; each test runs in a savepoint inside it, so what one user's POSTs change is undone."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI), tick=False),
        transaction.atomic(),
    ):
        call_command("load_demo", stdout=io.StringIO())
        for email in ["ambassador@demo.local", "rival@demo.local"]:
            api_token_create(user=User.objects.get(email=email), name="walker")
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("kind", USERS)
def test_no_url_answers_a_server_error(client, demo, kind):
    client.raise_request_exception = False
    user = User.objects.get(email=USERS[kind]) if USERS[kind] else None
    failures = []

    def ask(method, path, data=None):
        asked = f"{method.upper()} {path[:300]} {data or ''!r:.100}"
        try:
            response = getattr(client, method)(path, data)
            read_all(response)
        except Exception as error:  # a streamed download that broke half way
            failures.append(f"{asked}: {error!r}")
            return None
        if response.status_code >= 500:
            failures.append(f"{asked}: {response.status_code} {response.exc_info[1] if response.exc_info else ''!r}")
        if method == "post" and user is not None and "_auth_user_id" not in client.session:
            client.force_login(user)  # logged out by that POST
        return response.status_code

    if user is not None:
        client.force_login(user)
    walked = 0
    for chain, view in url_patterns():
        redirect = getattr(view, "view_class", None) is RedirectView  # the same redirect, whatever was asked
        if redirect:
            queries, posts = [""], [HOSTILE_POST]
        elif str(chain[0].pattern) == "admin/" and not (user and user.is_staff):
            queries, posts = [""], [HOSTILE_POST]  # the admin's gate answers, whatever was asked
        elif admin_model(chain) is not None and any("object_id" in str(step.pattern) for step in chain):
            queries, posts = OBJECT_QUERIES, POSTS
        else:
            queries, posts = QUERIES, [*POSTS, HOSTILE_POST]
        if view.__name__ == "events":  # its body is the events tests' (see the module docstring)
            posts = []
        # Ids that are no object's: where they reach a lookup. The admin's history and delete pages
        # look their object up as its change page does; the admin's gate answers a user not staff.
        hostile_values = not redirect and view.__name__ not in ("history_view", "delete_view")
        if str(chain[0].pattern) == "admin/" and not (user and user.is_staff):
            hostile_values = False
        for path, exists in paths_of(chain, view):
            if not (exists or hostile_values):
                continue
            walked += 1
            status = ask("get", path)
            if not exists:  # no such object: a 404, a 400 or a redirect, asked once
                continue
            if status == 403:  # the permission check comes first: one hostile POST besides
                for query, data in [HOSTILE_POST][: len(posts)]:
                    ask("post", f"{path}?{query}", data)
                continue
            for query in queries[1:]:
                ask("get", f"{path}?{query}")
            for query, data in posts:
                ask("post", f"{path}?{query}" if query else path, data)
    assert walked > 200, "the URLconf was not walked"
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
