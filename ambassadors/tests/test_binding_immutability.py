"""R10.1: once verified (and once bound) the binding cannot change, at any layer."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from ambassadors.models import Ambassador, BindingChangeError
from ambassadors.tests.factories import BoundAmbassadorFactory, UserFactory, make_id_number
from portal.kernel.personal_data import keyed_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def bound():
    return BoundAmbassadorFactory(legal_name="张三")


# The model layer.


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", "李四"),
        ("id_number", "11010519491231002X"),
        ("id_number_hash", "0" * 64),
        ("verified_at", None),
        ("alipay_account", "other@example.com"),
        ("alipay_account_hash", "0" * 64),
        ("alipay_bound_at", None),
    ],
)
def test_save_refuses_to_change_the_binding(bound, field, value):
    setattr(bound, field, value)
    with pytest.raises(BindingChangeError):
        bound.save()
    fresh = Ambassador.objects.get(pk=bound.pk)
    assert fresh.legal_name == "张三"
    assert fresh.verified_at is not None and fresh.alipay_bound_at is not None


def test_save_refuses_to_move_the_identity_to_another_account(bound):
    bound.user = UserFactory()
    with pytest.raises(BindingChangeError):
        bound.save()


def test_save_of_a_fresh_instance_with_the_same_pk_is_refused_too(bound):
    impostor = Ambassador(pk=bound.pk, user=bound.user, legal_name="李四")
    with pytest.raises(BindingChangeError):
        impostor.save()


def test_other_fields_still_save(bound):
    bound.cancelled_at = bound.verified_at
    bound.save()
    assert Ambassador.objects.get(pk=bound.pk).cancelled_at is not None


def test_an_unverified_ambassador_may_still_be_written(ambassador):
    ambassador.legal_name = "李四"
    ambassador.save()


@pytest.mark.parametrize(
    "change",
    [
        {"legal_name": "李四"},
        {"id_number_hash": "0" * 64},
        {"verified_at": None},
        {"alipay_account": "x@example.com"},
        {"alipay_bound_at": None},
    ],
)
def test_queryset_update_refuses_to_change_the_binding(bound, change):
    with pytest.raises(BindingChangeError):
        Ambassador.objects.filter(pk=bound.pk).update(**change)


def test_queryset_update_of_the_owner_is_refused(bound):
    with pytest.raises(BindingChangeError):
        Ambassador.objects.filter(pk=bound.pk).update(user=UserFactory())


def test_bulk_update_refuses_to_change_the_binding(bound):
    bound.legal_name = "李四"
    with pytest.raises(BindingChangeError):
        Ambassador.objects.bulk_update([bound], ["legal_name"])


# The admin and the pages.


def test_the_admin_offers_no_field_to_edit(admin_client, bound):
    url = reverse("admin:ambassadors_ambassador_change", args=[bound.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="legal_name"' not in page.content
    assert b'name="id_number"' not in page.content
    admin_client.post(url, {"legal_name": "李四", "id_number": make_id_number(), "alipay_account": "x@example.com"})
    fresh = Ambassador.objects.get(pk=bound.pk)
    assert (fresh.legal_name, fresh.id_number, fresh.alipay_account) == (
        bound.legal_name,
        bound.id_number,
        bound.alipay_account,
    )


def test_the_admin_cannot_delete_an_ambassador(admin_client, bound):
    admin_client.post(reverse("admin:ambassadors_ambassador_delete", args=[bound.pk]), {"post": "yes"})
    assert Ambassador.objects.filter(pk=bound.pk).exists()


def test_the_pages_refuse_a_second_verification_and_binding(client, bound):
    client.force_login(bound.user)
    assert client.get(reverse("center:verify")).url == reverse("center:account")
    client.post(
        reverse("center:alipay"),
        {"account": "x@example.com", "account_again": "x@example.com", "holder_confirmed": "on"},
    )
    assert Ambassador.objects.get(pk=bound.pk).alipay_account == bound.alipay_account


# The database itself, on PostgreSQL.


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "assignment",
    [
        "legal_name = 'x'",
        "id_number = 'x'",
        "id_number_hash = 'x'",
        "verified_at = NULL",
        "alipay_account = 'x'",
        "alipay_account_hash = 'x'",
        "alipay_bound_at = NULL",
    ],
)
def test_raw_sql_cannot_change_the_binding(bound, assignment):
    with pytest.raises(IntegrityError, match="R10.1"):
        raw(f"UPDATE ambassadors_ambassador SET {assignment} WHERE id = %s", [bound.pk])
    fresh = Ambassador.objects.get(pk=bound.pk)
    assert fresh.legal_name == "张三" and fresh.alipay_bound_at is not None


@pytest.mark.postgresql
def test_raw_sql_cannot_move_the_identity_or_delete_it(bound):
    other = UserFactory()
    with pytest.raises(IntegrityError, match="R10.1"):
        raw("UPDATE ambassadors_ambassador SET user_id = %s WHERE id = %s", [other.pk, bound.pk])
    with pytest.raises(IntegrityError, match="R10.1"):
        raw("DELETE FROM ambassadors_ambassador WHERE id = %s", [bound.pk])
    assert Ambassador.objects.filter(pk=bound.pk, user=bound.user).exists()


@pytest.mark.postgresql
def test_raw_sql_may_still_change_what_is_not_bound(bound, ambassador):
    raw("UPDATE ambassadors_ambassador SET cancelled_at = now() WHERE id = %s", [bound.pk])
    raw("UPDATE ambassadors_ambassador SET legal_name = NULL WHERE id = %s", [ambassador.pk])
    assert Ambassador.objects.get(pk=bound.pk).cancelled_at is not None


@pytest.mark.postgresql
def test_key_rotation_may_rewrite_ciphertext_but_never_the_hash(bound):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL portal.key_rotation = 'on'")
        cursor.execute("UPDATE ambassadors_ambassador SET legal_name = legal_name || '' WHERE id = %s", [bound.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL portal.key_rotation = 'on'")
        cursor.execute(
            "UPDATE ambassadors_ambassador SET id_number_hash = %s WHERE id = %s", [keyed_hash("x"), bound.pk]
        )


# Integrity: the hashes are the truth, and a ciphertext that disagrees is caught.


def test_a_fresh_binding_is_intact(bound):
    assert Ambassador.objects.get(pk=bound.pk).binding_intact()


def test_verify_bindings_passes_on_intact_bindings(bound, capsys):
    from django.core.management import call_command

    call_command("verify_bindings")
    assert "matches" in capsys.readouterr().out


@pytest.mark.postgresql
@pytest.mark.parametrize("column", ["legal_name", "alipay_account"])
def test_a_ciphertext_swapped_under_the_rotation_flag_is_caught(bound, column):
    from django.core.management import CommandError, call_command

    other = BoundAmbassadorFactory(legal_name="李四")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL portal.key_rotation = 'on'")  # what an intruder with SQL access could do
        cursor.execute(
            f"UPDATE ambassadors_ambassador SET {column} = (SELECT {column} FROM ambassadors_ambassador WHERE id = %s)"
            " WHERE id = %s",
            [other.pk, bound.pk],
        )
    assert not Ambassador.objects.get(pk=bound.pk).binding_intact()
    with pytest.raises(CommandError, match=str(bound.pk)):
        call_command("verify_bindings")
