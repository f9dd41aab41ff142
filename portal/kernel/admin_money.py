"""Amounts in the desks as the portal's pages write them: ¥12,345.60, figures right-aligned.

Django's admin writes a DecimalField as 12345.60 and groups thousands only under the global
USE_THOUSAND_SEPARATOR, which would also group every id and year the templates print. So each
money column is a display method named `<field>_yuan` (static/css/admin.css aligns those); the
exported sheets and the API keep the plain figure, which programs read.
"""

from django.contrib import admin

from .money import yuan_text


def yuan_column(model, name):
    """A column (or read-only field) showing `model`'s field `name` in yuan, headed and sorted as
    the field; assign it in the ModelAdmin as `<name>_yuan`."""
    field = model._meta.get_field(name)

    @admin.display(description=field.verbose_name, ordering=name)
    def column(model_admin, row):
        amount = getattr(row, name)
        return None if amount is None else yuan_text(amount)  # None: the admin's dash

    column.__name__ = f"{name}_yuan"
    return column


class YuanFieldsMixin:
    """On a read-only change page that lists the model's fields itself (no `fields` declared),
    each field that has a `<field>_yuan` column is shown by that column, in its place."""

    def get_fields(self, request, obj=None):
        shown = self._yuan_columns()
        fields = [shown.get(name, name) for name in super().get_fields(request, obj)]
        return list(dict.fromkeys(fields))  # Django appends the read-only columns: keep each once, in its field's place

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self._yuan_columns().values()]

    def _yuan_columns(self):
        names = (field.name for field in self.model._meta.concrete_fields)
        return {name: f"{name}_yuan" for name in names if hasattr(self, f"{name}_yuan")}
