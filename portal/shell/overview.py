"""概览's figures, for the page and the API alike (R12.1): the rebates by order from
referrals, each counted 已结算 only once the ledger has settled it, and the ledger's
可提现 balance."""

from payouts.ledger import balances_of
from referrals.rebates import selectors as rebate_selectors


def overview_of(ambassador, *, today=None):
    return rebate_selectors.overview_of(ambassador, today=today) | {
        "withdrawable": balances_of(ambassador).withdrawable
    }
