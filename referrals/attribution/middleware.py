from .cookies import REFERRAL_COOKIE, device_id_from_request, new_device_id, set_device_cookie


class VisitorCookiesMiddleware:
    """The link's cookies around every request.

    Gives every browser a long-lived device id (`request.device_id`): devices
    seen at log-in and at link visits are same-person signals (R9.1), and the
    id is random, saying nothing about the device itself. Deletes the referral
    cookie once log-in has applied it (`request.referral_cookie_used`), so the
    next account on the same browser is not associated by the same visit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        known = device_id_from_request(request)
        request.device_id = known or new_device_id()
        response = self.get_response(request)
        if known is None:
            set_device_cookie(response, request.device_id)
        if getattr(request, "referral_cookie_used", False):
            response.delete_cookie(REFERRAL_COOKIE, samesite="Lax")
        return response
