"""allauth's English titles and buttons that the portal words in sentence case, as the rest of its
English ("Sign in", not "Sign In"). Listed here so that `make messages` keeps their entries in
locale/en, which translates each to the words given (a test holds the two together); their Chinese
is allauth's own, or locale/zh_Hans's in the portal's voice."""

from django.utils.translation import gettext_noop

SENTENCE_CASE = {
    gettext_noop("Account Inactive"): "Account inactive",
    gettext_noop("Add Email"): "Add email",
    gettext_noop("Add Email Address"): "Add email address",
    gettext_noop("Bad Token"): "Bad token",
    gettext_noop("Change Email"): "Change email",
    gettext_noop("Change Password"): "Change password",
    gettext_noop("Confirm Access"): "Confirm access",
    gettext_noop("Confirm Email Address"): "Confirm email address",
    gettext_noop("Email Address"): "Email address",
    gettext_noop("Email Addresses"): "Email addresses",
    gettext_noop("Email Verification"): "Email verification",
    gettext_noop("Make Primary"): "Make primary",
    gettext_noop("Password Reset"): "Password reset",
    gettext_noop("Remember Me"): "Remember me",
    gettext_noop("Reset My Password"): "Reset my password",
    gettext_noop("Set Password"): "Set password",
    gettext_noop("Sign In"): "Sign in",
    gettext_noop("Sign Out"): "Sign out",
    gettext_noop("Sign Up"): "Sign up",
    gettext_noop("Sign Up Closed"): "Sign up closed",
    gettext_noop("Signup"): "Sign up",
    gettext_noop("Verify Your Email Address"): "Verify your email address",
}
