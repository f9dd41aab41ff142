"""Model fields for personal data."""

from django.core.exceptions import FieldError
from django.db import models

from . import personal_data


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token and read back in clear.

    The ciphertext differs at every write, so only `isnull` can be looked up;
    match on the keyed-hash column stored beside the value instead.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else personal_data.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value in (None, "") else personal_data.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(f"{self.name} is encrypted: filter on its keyed hash, not with '{lookup_name}'.")
        return super().get_lookup(lookup_name)
