"""Model fields for personal data."""

from django.core.exceptions import FieldError
from django.db import models

from . import personal_data


class Decrypted(str):
    """A value read from an encrypted column, remembering its stored token.

    Saving an unchanged value writes the same token back, so a save that
    does not touch personal data does not rewrite its ciphertext (which the
    PostgreSQL binding guard would rightly refuse). Any edit yields a plain
    `str`, which is encrypted afresh.
    """

    token: str

    def __new__(cls, value, token):
        decrypted = super().__new__(cls, value)
        decrypted.token = token
        return decrypted

    def __reduce__(self):
        # Pickling and deepcopy (caches, tasks, admin) rebuild it with its token.
        return (Decrypted, (str(self), self.token))


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token and read back in clear.

    The ciphertext differs at every write, so only `isnull` can be looked up;
    match on the keyed-hash column stored beside the value instead.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else Decrypted(personal_data.decrypt(value), value)

    def pre_save(self, model_instance, add):
        # Encrypt once per new value and keep the token on the instance, so
        # saving the same instance again writes the same ciphertext.
        value = getattr(model_instance, self.attname)
        if value not in (None, "") and not isinstance(value, Decrypted):
            value = Decrypted(value, personal_data.encrypt(value))
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        if isinstance(value, Decrypted):
            return value.token
        value = super().get_prep_value(value)
        return None if value in (None, "") else personal_data.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(f"{self.name} is encrypted: filter on its keyed hash, not with '{lookup_name}'.")
        return super().get_lookup(lookup_name)
