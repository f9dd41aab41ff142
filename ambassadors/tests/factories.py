import itertools

import factory
from django.conf import settings
from django.utils import timezone

from ambassadors.models import Ambassador
from ambassadors.rules import id_check_character
from portal.kernel.personal_data import keyed_hash

_sequence = itertools.count(1)


def make_id_number(birth="19900101", area="110105", sequence=None):
    """A valid 18-character resident ID number (GB 11643 check character)."""
    sequence = next(_sequence) % 1000 if sequence is None else sequence
    first_17 = f"{area}{birth}{sequence:03d}"
    return first_17 + id_check_character(first_17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = settings.AUTH_USER_MODEL
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AmbassadorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ambassador

    user = factory.SubFactory(UserFactory)


class VerifiedAmbassadorFactory(AmbassadorFactory):
    legal_name = "张三"
    legal_name_hash = factory.LazyAttribute(lambda o: keyed_hash(o.legal_name))
    id_number = factory.LazyFunction(make_id_number)
    id_number_hash = factory.LazyAttribute(lambda o: keyed_hash(o.id_number))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    phone_hash = factory.LazyAttribute(lambda o: keyed_hash(o.phone))
    verified_at = factory.LazyFunction(timezone.now)


class BoundAmbassadorFactory(VerifiedAmbassadorFactory):
    alipay_account = factory.Sequence(lambda n: f"alipay{n}@example.com")
    alipay_account_hash = factory.LazyAttribute(lambda o: keyed_hash(o.alipay_account))
    alipay_bound_at = factory.LazyFunction(timezone.now)
