"""allauth's forms, as the portal shows them."""

from allauth.account.forms import LoginForm as AllauthLoginForm


class LoginForm(AllauthLoginForm):
    """allauth's log-in form; its "remember me" box reads as the portal's other boxes, the words
    after the box and no colon after them (static/css/portal.css)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label_suffix = ""
