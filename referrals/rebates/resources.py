"""django-import-export resources: what staff import and export as xlsx/csv."""

from import_export import fields, resources, widgets

from referrals.models import Product


class ProductResource(resources.ModelResource):
    """The product catalogue, keyed by code: importing a known code updates its names and category.
    A sheet without the `name_en` column leaves the English names as they are."""

    category = fields.Field(attribute="category", column_name="category", widget=widgets.CharWidget())

    class Meta:
        model = Product
        fields = ("code", "name", "name_en", "category")
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True  # full_clean(): an unknown category is a row error, not a bad row stored
