"""Demo data of the ambassadors app, loaded through the same services as real use."""

from ambassadors import services
from ambassadors.rules import id_check_character


def _id_number(first_17):
    return first_17 + id_check_character(first_17)


def load(*, staff, account):
    """`account(email)` gives a demo user; `staff` decides the verifications."""
    ambassador = services.ambassador_join(user=account("ambassador@demo.local"))
    if not ambassador.verified_at:
        _submit(ambassador, "张三", _id_number("11010519900307123"), "13812345678")
        services.verification_approve(verification=ambassador.verifications.first(), actor=staff)
        ambassador.refresh_from_db()
    if not ambassador.alipay_bound_at:
        services.alipay_bind(ambassador=ambassador, account="13812345678", holder_confirmed=True)

    newcomer = services.ambassador_join(user=account("newcomer@demo.local"))
    if not newcomer.verifications.exists():
        _submit(newcomer, "李四", _id_number("44030419950612345"), "13900001111")

    return [
        ("ambassador@demo.local", "已实名认证并绑定支付宝的云大使 / verified ambassador, Alipay bound"),
        ("newcomer@demo.local", "实名认证待审核的云大使 / ambassador waiting for verification"),
    ]


def _submit(ambassador, name, id_number, phone):
    services.verification_submit(ambassador=ambassador, legal_name=name, id_number=id_number, phone=phone, consent=True)
