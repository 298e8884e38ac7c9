"""Reads about accounts: a user's language, who owns an address."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from accounts.models import UserProfile


def user_language(user) -> str | None:
    """The language the user chose on their account page, or None when they never chose one."""
    if user is None or not getattr(user, "pk", None):
        return None
    return UserProfile.objects.filter(user=user).values_list("language", flat=True).first()


def user_for_email(email: str):
    """The user who owns this address (verified or not), or None."""
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address is not None:
        return address.user
    return get_user_model().objects.filter(email__iexact=email).first()


def mail_language(*, user=None, email: str = "") -> str:
    """The language of a message: the recipient's choice, else the language of the page that caused it."""
    chosen = user_language(user or (user_for_email(email) if email else None))
    return chosen or translation.get_language() or settings.LANGUAGE_CODE
