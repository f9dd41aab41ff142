"""Every admin screen that shows rows without changing them uses the one read-only base."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from ambassadors.tests.factories import UserFactory
from portal.kernel.admin_read_only import ReadOnlyAdminMixin

pytestmark = pytest.mark.django_db


def _screens():
    for model_admin in admin.site._registry.values():
        yield model_admin
        yield from (inline(model_admin.model, admin.site) for inline in model_admin.inlines)


def test_every_read_only_admin_and_inline_is_the_kernels():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)

    def adds(screen):
        if isinstance(screen, admin.options.InlineModelAdmin):
            return screen.has_add_permission(request, None)
        return screen.has_add_permission(request)

    read_only = [
        screen
        for screen in _screens()
        if not (adds(screen) or screen.has_change_permission(request) or screen.has_delete_permission(request))
    ]
    assert read_only  # the audit log, the ledger, rebate changes, the risk desk, …
    assert [type(screen).__name__ for screen in read_only if not isinstance(screen, ReadOnlyAdminMixin)] == []
