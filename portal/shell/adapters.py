import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse

from referrals.attribution.cookies import referral_from_request
from referrals.attribution.services import referral_apply_at_login

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        """Sign-up and log-in both end here: apply the visit the referral cookie
        carries (R3.3) and remember the device (R9.1). The session is rotated by
        the log-in, so the cookie, not the session, carries the visit."""
        super().login(request, user)
        referral_apply_at_login(request, user)

    def get_signup_redirect_url(self, request):
        """A visitor who signed up through an exclusive link is a customer: they land on the
        welcome that names the invitation, not on the ambassador join pitch."""
        if referral_from_request(request) is not None:
            return reverse("customer_welcome")
        return super().get_signup_redirect_url(request)

    def get_login_redirect_url(self, request):
        """Staff work in the admin, not in the personal center: after a log-in without a
        `next`, they land on the admin's index (its desks and their pending counts) instead
        of the ambassador join pitch."""
        if request.user.is_active and request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request):
        """The client's address, as the outermost trusted proxy saw it (ALLAUTH_TRUSTED_PROXY_COUNT).

        A request whose X-Forwarded-For names fewer hops than there are trusted proxies did not
        come through them; allauth raises ImproperlyConfigured for it, which would be a 500."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning("X-Forwarded-For has fewer entries than TRUSTED_PROXY_COUNT; request refused")
            raise PermissionDenied("X-Forwarded-For does not match TRUSTED_PROXY_COUNT") from None
