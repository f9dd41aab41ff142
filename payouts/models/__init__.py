from .ledger import Bucket, Entry, Posting
from .settlement import SettlementRun
from .tax import TaxAssessment
from .withdrawals import Withdrawal

__all__ = ["Bucket", "Entry", "Posting", "SettlementRun", "TaxAssessment", "Withdrawal"]
