"""The migrations describe the models: a model change without its migration fails here."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_are_in_step():
    # --check exits non-zero when a migration is missing; --dry-run writes nothing either way.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
