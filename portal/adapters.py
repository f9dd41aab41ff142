from allauth.account.adapter import DefaultAccountAdapter

from referrals.services import referral_apply_at_login


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        """Sign-up and log-in both end here: apply the visit the referral cookie
        carries (R3.3) and remember the device (R9.1). The session is rotated by
        the log-in, so the cookie, not the session, carries the visit."""
        super().login(request, user)
        referral_apply_at_login(request, user)
