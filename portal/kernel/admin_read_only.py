from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff look, never touch: rows that change only through services (or never)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
