"""Telling an ambassador how the real-name review ended, by email.

Sent after the decision commits (a rolled-back decision sends nothing) and only by the call
that made the decision, so a repeated approval or rejection sends nothing again. The page
says the same (`ambassadors.onboarding`), so a lost mail loses nothing. The
program has no stored language per account, so the message is in Chinese with the English
below it."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Verification

logger = logging.getLogger(__name__)

LANGUAGES = ("zh-hans", "en")


def _in_each_language(render):
    parts = []
    for language in LANGUAGES:
        with translation.override(language):
            parts.append(render())
    return parts


def verification_decided_notify(verification_id):
    verification = Verification.objects.select_related("ambassador__user").get(pk=verification_id)
    approved = verification.status == Verification.Status.APPROVED
    context = {"verification": verification, "approved": approved}
    subjects = _in_each_language(lambda: _("实名认证已通过") if approved else _("实名认证未通过"))
    bodies = _in_each_language(lambda: render_to_string("ambassadors/email/verification_decided.txt", context).strip())
    try:
        send_mail(
            subject=" / ".join(subjects),
            message="\n\n——\n\n".join(bodies),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[verification.ambassador.user.email],
        )
    except Exception:
        # The decision stands and the page shows it; a mail server's refusal must not
        # turn the reviewer's page into an error after the decision was saved.
        logger.exception("verification %s: the decision could not be mailed", verification_id)
        return
    logger.info("verification %s: decision mailed", verification_id)
