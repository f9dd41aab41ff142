"""Identity signals: recording them and asking whether two accounts are the same person (R9.1).

Hashes are compared without their kind on purpose: a phone number that is
also an Alipay logon id links the two accounts just the same. The link is
written when the second account shows the signal (`SamePersonLink`), so
reading an account's same-person group is one query.
"""

from django.db.models import Q
from django.utils import timezone

from .models import IdentitySignal, SamePersonLink


def identity_signal_record(*, user, kind, value_hash, source):
    """Remember that `user` showed this signal, and link `user` with every other
    account that showed the same value. Seen again, it is only touched."""
    signal, created = IdentitySignal.objects.get_or_create(
        user=user, kind=kind, value_hash=value_hash, defaults={"source": source}
    )
    if not created:
        IdentitySignal.objects.filter(pk=signal.pk).update(last_seen_at=timezone.now())
        return signal
    others = IdentitySignal.objects.filter(value_hash=value_hash).exclude(user=user).values_list("user", "kind")
    links = []
    for other, their_kind in others:
        links += [
            SamePersonLink(user=user, other_id=other, kind=kind, value_hash=value_hash),
            SamePersonLink(user_id=other, other=user, kind=their_kind, value_hash=value_hash),
        ]
    SamePersonLink.objects.bulk_create(links, ignore_conflicts=True)
    return signal


def shared_signal_kinds(first_user, second_user):
    """The kinds of signal of `first_user` that `second_user` shares; empty if none. One query."""
    if first_user.pk == second_user.pk:
        return {"same_account"}
    return set(
        SamePersonLink.objects.filter(user=first_user, other=second_user).values_list("kind", flat=True).distinct()
    )


def shared_signal_kinds_of_pairs(pairs):
    """`shared_signal_kinds` for many (first user id, second user id) pairs at once:
    {pair: kinds}, every pair present. One query."""
    pairs = set(pairs)
    kinds = {pair: ({"same_account"} if pair[0] == pair[1] else set()) for pair in pairs}
    firsts, seconds = {first for first, _ in pairs}, {second for _, second in pairs}
    if not pairs:
        return kinds
    links = SamePersonLink.objects.filter(user__in=firsts, other__in=seconds).values_list("user", "other", "kind")
    for first, second, kind in links.distinct():
        if (first, second) in kinds:  # a link is never of an account with itself
            kinds[first, second].add(kind)
    return kinds


def signal_values_of(user_ids):
    """The identity signals' values (keyed hashes) of these accounts: {account id: {hashes}}. One query."""
    values = {}
    for user, value_hash in IdentitySignal.objects.filter(user__in=user_ids).values_list("user", "value_hash"):
        values.setdefault(user, set()).add(value_hash)
    return values


def signal_values_shared(user_id, values) -> bool:
    """Whether another account has shown any of these signal values. One query."""
    return bool(values) and IdentitySignal.objects.filter(value_hash__in=values).exclude(user_id=user_id).exists()


def same_person_group(user):
    """The accounts linked to `user` and by which signals: {account id: {kinds}}. One query."""
    group = {}
    for other, kind in SamePersonLink.objects.filter(user=user).values_list("other", "kind"):
        group.setdefault(other, set()).add(kind)
    return group


def same_person_of(users):
    """The accounts linked to any of `users` (a queryset of ids or a list), for a subquery."""
    return SamePersonLink.objects.filter(Q(user__in=users)).values("other")
