from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The roof over the apps: the personal-center shell, /api/v1/me, log-in and cancelling,
    which compose the apps, and the commands that set the portal up and load the demo. No app
    imports it; it has no models."""

    name = "portal.shell"
    label = "portal_shell"
