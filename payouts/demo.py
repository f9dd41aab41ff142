"""Demo data of the payouts app: the due rebates settled and one withdrawal already paid,
so 提现 and 税务 have something to show."""

import uuid

from django.utils import timezone

from .alipay import TransferOutcome, TransferStatus
from .models import Withdrawal
from .settlement import settlement_run
from .withdrawals import withdrawal_outcome_record, withdrawal_request

# Fixed: loading the demo twice makes one withdrawal.
DEMO_WITHDRAWAL_TOKEN = uuid.UUID("00000000-0000-4000-8000-00000000d001")


def load(*, ambassador):
    settlement_run(timezone.localdate())
    if not Withdrawal.objects.filter(request_token=DEMO_WITHDRAWAL_TOKEN).exists():
        withdrawal = withdrawal_request(ambassador=ambassador, amount="3000.00", request_token=DEMO_WITHDRAWAL_TOKEN)
        # Recorded as Alipay's answer to a transfer made earlier: the demo runs without a gateway call.
        withdrawal_outcome_record(
            withdrawal.pk, TransferOutcome(TransferStatus.SUCCEEDED, alipay_order_id="20261101DEMO000001")
        )
    return []
