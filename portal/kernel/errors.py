"""The application's error: a request the program's rules refuse."""


class PortalError(Exception):
    """Raised by a service that refuses a request; `message` says why, in words for the person
    who asked (an ambassador or staff), and views and admin actions show it as it is. A
    subclass exists only where a caller needs to tell it apart (`RuleViolation`, `MonthError`)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
