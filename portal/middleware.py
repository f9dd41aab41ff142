"""Response headers that hold for whole parts of the site, whatever view answered."""

from django.utils.cache import add_never_cache_headers

# The personal center shows one person's money and identity (masked); the API the same as JSON,
# and one page shows a new API token in clear. No browser history or shared cache may keep them.
PRIVATE_PREFIXES = ("/center/", "/api/")


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(PRIVATE_PREFIXES):
            add_never_cache_headers(response)  # no-store, no-cache, must-revalidate, private
        return response
