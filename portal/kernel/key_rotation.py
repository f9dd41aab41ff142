"""Re-encrypting personal data under the newest key (docs/SECURITY.md).

Put the new key first in PERSONAL_DATA_KEYS, deploy, run
`manage.py rotate_personal_data_keys`, then drop the old key. The values and
their keyed hashes do not change, only the ciphertext.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from . import personal_data
from .fields import EncryptedTextField


def _encrypted_columns():
    for model in apps.get_models():
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if columns:
            yield model, columns


def _under_primary_key(token, primary):
    try:
        primary.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def personal_data_stale():
    """How many rows per model still hold a token not under the first key."""
    primary = Fernet(settings.PERSONAL_DATA_KEYS[0])
    quote = connection.ops.quote_name
    counts = {}
    for model, columns in _encrypted_columns():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)}")
            counts[model._meta.label] = sum(
                any(token and not _under_primary_key(token, primary) for token in row) for row in cursor.fetchall()
            )
    return counts


def personal_data_rotate(*, batch_size=500):
    """Re-encrypt every token not yet under the first key; returns counts per model.

    Each row is rewritten only if its tokens are still the ones read (compare
    and swap): a row changed meanwhile is left for the next run, never
    overwritten with what was read before the change.
    """
    primary = Fernet(settings.PERSONAL_DATA_KEYS[0])
    quote = connection.ops.quote_name
    counts = {}
    for model, columns in _encrypted_columns():
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        select = f"SELECT {pk}, {', '.join(map(quote, columns))} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
        rewritten, last_pk = 0, 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # The binding guard lets ciphertext change only in rotation.
                    cursor.execute("SET LOCAL portal.key_rotation = 'on'")
                cursor.execute(select, [last_pk, batch_size])
                rows = cursor.fetchall()
                for row_pk, *tokens in rows:
                    changes = {
                        column: personal_data.reencrypt(token)
                        for column, token in zip(columns, tokens, strict=True)
                        if token and not _under_primary_key(token, primary)
                    }
                    if changes:
                        read = dict(zip(columns, tokens, strict=True))
                        assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
                        unchanged = " AND ".join(f"{quote(column)} = %s" for column in changes)
                        cursor.execute(
                            f"UPDATE {table} SET {assignments} WHERE {pk} = %s AND {unchanged}",
                            [*changes.values(), row_pk, *(read[column] for column in changes)],
                        )
                        rewritten += cursor.rowcount
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
        counts[model._meta.label] = rewritten
    return counts
