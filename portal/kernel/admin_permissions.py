"""Permissions as staff read them, in the language of the page.

Django stores each permission's name once, when it is created: "Can add 云大使" for the
built-in ones (an English verb around the model's Chinese name) and the Chinese source
text for the portal's own. The admin's permission pickers show them through this label
instead: the built-in four worded in the page's language around the model's translated
name, the portal's own through the catalogue."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

BUILT_IN = {
    "add": _("可以添加%(model)s"),
    "change": _("可以修改%(model)s"),
    "delete": _("可以删除%(model)s"),
    "view": _("可以查看%(model)s"),
}


def permission_label(permission):
    model = permission.content_type.model_class()
    action, _separator, model_name = permission.codename.partition("_")
    if model is not None and action in BUILT_IN and model_name == model._meta.model_name:
        name = BUILT_IN[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{permission.content_type} | {name}"


class TranslatedPermissionsMixin:
    """For a ModelAdmin with a many-to-many to Permission (groups, users)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.remote_field.model is Permission:
            field.label_from_instance = permission_label
        return field
