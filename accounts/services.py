"""Writes of the account lifecycle: profile, sign-up, invitations, membership changes, leaving."""

from __future__ import annotations

from django.db import transaction

from accounts.models import UserProfile


@transaction.atomic
def profile_update(*, user, name: str, language: str) -> UserProfile:
    """Save the user's name and language (the language also decides the language of their e-mail)."""
    user.first_name = name.strip()
    user.save(update_fields=["first_name"])
    profile, _created = UserProfile.objects.update_or_create(user=user, defaults={"language": language})
    return profile
