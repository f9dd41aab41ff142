from .bonus import QuarterlyBonus
from .catalogue import Activity, NewsEntry, Product, RuleSet
from .customers import Association, AssociationRefusal, CustomerProfile, EndReason, RefusalReason
from .events import Event
from .links import AppliedVisit, ReferralLink, Visit
from .orders import Order, OrderType, Reason, RebateChange, RiskVerdict
from .risk import RiskCase

__all__ = [
    "Activity",
    "AppliedVisit",
    "Association",
    "AssociationRefusal",
    "CustomerProfile",
    "EndReason",
    "Event",
    "NewsEntry",
    "Order",
    "OrderType",
    "Product",
    "QuarterlyBonus",
    "Reason",
    "RebateChange",
    "ReferralLink",
    "RefusalReason",
    "RiskCase",
    "RiskVerdict",
    "RuleSet",
    "Visit",
]
