from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .admin_permissions import TranslatedPermissionsMixin
from .admin_read_only import ReadOnlyAdmin
from .models import AuditEntry, User


class GroupAdmin(TranslatedPermissionsMixin, BaseGroupAdmin):
    """Registered in place of Django's by portal/urls.py: django.contrib.auth registers its own
    after this app's admin module is loaded."""


@admin.register(User)
class UserAdmin(TranslatedPermissionsMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "uid", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "uid"]
    readonly_fields = ["uid", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "uid", "password"]}),
        (_("权限"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("时间"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log is read-only everywhere, the admin included."""

    list_display = ["at", "action", "target_type", "target_id", "actor", "reason"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]
    search_fields = ["target_id", "action"]
    date_hierarchy = "at"
