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
