"""Personal data: encrypted at rest, hashed for matching, masked on screen, keys rotatable."""

import uuid

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.db import connection

from ambassadors.models import Ambassador
from ambassadors.tests.factories import BoundAmbassadorFactory
from portal.kernel import personal_data
from portal.kernel.key_rotation import personal_data_rotate
from portal.tests.dumps import database_dump

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (personal_data.mask_name, "张三", "张*"),
        (personal_data.mask_name, "欧阳娜娜", "欧***"),
        (personal_data.mask_id_number, ID_NUMBER, "110***********002X"),
        (personal_data.mask_phone, PHONE, "138****5678"),
        (personal_data.mask_payment_account, "zhang.san@example.com", "z***@example.com"),
        (personal_data.mask_payment_account, PHONE, "138****5678"),
        (personal_data.mask_name, "", ""),
    ],
)
def test_masks(mask, value, shown):
    assert mask(value) == shown


def test_keyed_hash_is_stable_and_depends_on_the_key(settings):
    first = personal_data.keyed_hash(PHONE)
    assert first == personal_data.keyed_hash(PHONE)
    assert PHONE not in first
    settings.PERSONAL_DATA_HASH_KEY = "another key"
    assert personal_data.keyed_hash(PHONE) != first


@pytest.mark.django_db
def test_values_are_stored_encrypted_and_read_back_in_clear():
    ambassador = BoundAmbassadorFactory(id_number=ID_NUMBER, phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM ambassadors_ambassador WHERE id = %s", [ambassador.pk])
        stored = cursor.fetchone()
    assert ID_NUMBER not in stored[0] and PHONE not in stored[1]
    fresh = Ambassador.objects.get(pk=ambassador.pk)
    assert (fresh.id_number, fresh.phone) == (ID_NUMBER, PHONE)


@pytest.mark.django_db
def test_encrypted_fields_cannot_be_searched_in_clear():
    with pytest.raises(FieldError, match="keyed hash"):
        list(Ambassador.objects.filter(id_number=ID_NUMBER))


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_id_number_phone_or_alipay_account_in_clear():
    from ambassadors import services
    from ambassadors.tests.factories import AmbassadorFactory, UserFactory

    ambassador = AmbassadorFactory()
    verification = services.verification_submit(
        ambassador=ambassador, legal_name="张三", id_number=ID_NUMBER, phone=PHONE, consent=True
    )
    services.verification_approve(verification=verification, actor=UserFactory(is_staff=True))
    services.alipay_bind(ambassador=ambassador, account="zhang.san@example.com", holder_confirmed=True)

    dump = database_dump()
    assert "ambassadors_ambassador" in dump  # the dump really holds the table
    for secret in (ID_NUMBER, ID_NUMBER[:17], PHONE, "zhang.san@example.com", "张三"):
        assert secret not in dump


@pytest.mark.django_db(transaction=True)
def test_key_rotation_reencrypts_under_the_new_key_and_keeps_values(settings):
    ambassador = BoundAmbassadorFactory(id_number=ID_NUMBER, phone=PHONE, legal_name="张三")
    old_key = settings.PERSONAL_DATA_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEYS = [new_key, old_key]

    counts = personal_data_rotate(batch_size=1)
    assert counts["ambassadors.Ambassador"] == 1
    assert personal_data_rotate()["ambassadors.Ambassador"] == 0  # nothing left to do

    settings.PERSONAL_DATA_KEYS = [new_key]  # the old key is retired
    fresh = Ambassador.objects.get(pk=ambassador.pk)
    assert (fresh.legal_name, fresh.id_number, fresh.phone) == ("张三", ID_NUMBER, PHONE)
    assert fresh.id_number_hash == ambassador.id_number_hash


def test_decrypted_values_survive_pickle_and_deepcopy():
    import copy
    import pickle

    from portal.kernel.fields import Decrypted

    value = Decrypted("张三", "token")
    for clone in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value)):
        assert (clone, clone.token) == ("张三", "token")


@pytest.mark.django_db(transaction=True)
def test_rotation_check_counts_what_is_left(settings):
    from django.core.management import CommandError, call_command

    BoundAmbassadorFactory()
    call_command("rotate_personal_data_keys", check=True)  # everything under the only key
    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode(), *settings.PERSONAL_DATA_KEYS]
    with pytest.raises(CommandError, match="not under the first key"):
        call_command("rotate_personal_data_keys", check=True)
    call_command("rotate_personal_data_keys")
    call_command("rotate_personal_data_keys", check=True)


@pytest.mark.django_db(transaction=True)
def test_rotation_never_overwrites_a_row_changed_after_it_was_read(settings, monkeypatch):
    from portal.kernel import key_rotation

    ambassador = BoundAmbassadorFactory(phone=PHONE)
    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode(), *settings.PERSONAL_DATA_KEYS]
    real_reencrypt = personal_data.reencrypt

    def reencrypt_while_the_phone_changes(token):
        # The ambassador's phone is written by someone else between read and write.
        Ambassador.objects.filter(pk=ambassador.pk).update(phone="13900009999")
        return real_reencrypt(token)

    monkeypatch.setattr(key_rotation.personal_data, "reencrypt", reencrypt_while_the_phone_changes)
    key_rotation.personal_data_rotate()
    assert Ambassador.objects.get(pk=ambassador.pk).phone == "13900009999"


def test_billings_identity_values_have_the_portals_canonical_forms():
    assert personal_data.normalise_payment_account(" Li@Example.COM ") == "li@example.com"
    assert personal_data.normalise_payment_account("+86 138-0013-8000") == "13800138000"
    assert personal_data.normalise_device_id("  device-1\n") == "device-1"
    assert personal_data.normalise_address("  北京市 朝阳区\tAbc  Road ") == "北京市 朝阳区 abc road"


def test_a_token_read_again_is_not_decrypted_again(settings, monkeypatch):
    """Every logged-in request loads its ambassador's encrypted columns: the same tokens, decrypted
    once per process and then remembered."""
    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode()]
    token, another = personal_data.encrypt(PHONE), personal_data.encrypt("13900000000")
    opened = []
    fernet = personal_data._fernet

    def counted(keys):
        opened.append(keys)
        return fernet(keys)

    monkeypatch.setattr(personal_data, "_fernet", counted)
    assert [personal_data.decrypt(token) for _ in range(3)] == [PHONE] * 3
    assert len(opened) == 1
    assert personal_data.decrypt(another) == "13900000000"
    assert len(opened) == 2  # another token is decrypted


def test_a_remembered_value_is_not_read_once_its_key_is_gone(settings):
    """The keys are part of what is remembered: without the key, the token decrypts to nothing."""
    old = Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEYS = [old]
    token = personal_data.encrypt(PHONE)
    assert personal_data.decrypt(token) == PHONE
    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(InvalidToken):
        personal_data.decrypt(token)
    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode(), old]  # rotated: the old key still reads
    assert personal_data.decrypt(token) == PHONE


@pytest.mark.parametrize(
    "uid",
    [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), uuid.UUID("3f9a2c00-1111-4222-8333-444455556666"), uuid.uuid4()],
)
def test_an_accounts_short_number_is_the_first_six_digits_of_its_id_whether_given_as_id_or_text(uid):
    expected = uid.hex[:6].upper()
    assert personal_data.account_short_number(uid) == personal_data.account_short_number(str(uid)) == expected
    assert len(expected) == 6
