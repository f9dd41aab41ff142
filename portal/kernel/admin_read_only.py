"""Admin screens that show rows and never change them: one definition for every app."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Staff look, never touch: rows that change only through services (or never). Nobody adds,
    changes or deletes here, superusers included; viewing needs the view permission. Mixed into
    a ModelAdmin or an inline (whose permission checks also take the parent object)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
