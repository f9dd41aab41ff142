"""Attribution (R3): exclusive links, visits, the referral and device cookies, associations with
their timeline, and the pages 推广链接 and 推广客户. The bottom of referrals: it imports none of
the other sub-packages."""
