from .cookies import device_id_from_request, new_device_id, set_device_cookie


class DeviceIdMiddleware:
    """Gives every browser a long-lived device id (`request.device_id`).

    Devices seen at log-in and at link visits are same-person signals (R9.1);
    the id is random and says nothing about the device itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        known = device_id_from_request(request)
        request.device_id = known or new_device_id()
        response = self.get_response(request)
        if known is None:
            set_device_cookie(response, request.device_id)
        return response
