"""Per-user account settings kept next to allauth's own tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserProfile(models.Model):
    """What a user chose for themselves: the language of the UI and of the e-mail they receive."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("ユーザー")
    )
    language = models.CharField(_("言語"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ユーザー設定")
        verbose_name_plural = _("ユーザー設定")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"
