"""DRF's `serializers` module with strictly typed, bounded fields: every API serializer imports this instead.

    from core.api import typed as serializers

DRF's fields coerce: a CharField stores `{"a": 1}`'s or `5`'s str(), a BooleanField takes "yes" or 1, an
IntegerField takes "5" and any number however large (10**30 ends as a DataError 500 in PostgreSQL). Here, for
JSON bodies, a string field takes only a JSON string, a boolean only true/false, an integer only a JSON integer
(never a boolean), and a UUID only a string. Form-encoded bodies and query strings carry only strings, so they
keep DRF's parsing from text. Integers are bounded: the model field's range (ModelSerializer), else bigint's;
lists have a maximum length.

Names not defined here are DRF's (`typed.ValidationError`, `typed.SerializerMethodField`, ...).
"""

from __future__ import annotations

from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers as _drf

from core.input_guard import BIGINT_MAX, BIGINT_MIN

MAX_LIST_LENGTH = 1000  # no API body lists more (sync ids: 1000, lines: 100)


def __getattr__(name: str):
    return getattr(_drf, name)


def _from_text(field: _drf.Field) -> bool:
    """Whether the input came from a form body or a query string (all text), not from JSON."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class CharField(_drf.CharField):
    default_error_messages = {"invalid": _("文字列で入力してください。")}

    def to_internal_value(self, data):
        if not isinstance(data, str) and not _from_text(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class EmailField(CharField, _drf.EmailField):
    pass


class URLField(CharField, _drf.URLField):
    pass


class SlugField(CharField, _drf.SlugField):
    pass


class RegexField(CharField, _drf.RegexField):
    pass


class BooleanField(_drf.BooleanField):
    default_error_messages = {"invalid": _("true または false で指定してください。")}

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not _from_text(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class IntegerField(_drf.IntegerField):
    """A JSON integer (not a boolean, string or float), within bigint unless the field says narrower."""

    default_error_messages = {"invalid": _("整数で入力してください。")}

    def __init__(self, **kwargs):
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        kwargs["min_value"] = BIGINT_MIN if low is None else max(low, BIGINT_MIN)
        kwargs["max_value"] = BIGINT_MAX if high is None else min(high, BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if (isinstance(data, bool) or not isinstance(data, int)) and not _from_text(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class UUIDField(_drf.UUIDField):
    """A UUID as a string (DRF would also read a JSON integer as UUID(int=...))."""

    def to_internal_value(self, data):
        if not isinstance(data, str) and not _from_text(self):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class ListField(_drf.ListField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LIST_LENGTH)
        super().__init__(**kwargs)


class _BoundedMany:
    """`many=True` lists at most MAX_LIST_LENGTH items unless the field says otherwise (checked on input only)."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        kwargs.setdefault("max_length", MAX_LIST_LENGTH)
        return super().many_init(*args, **kwargs)


class Serializer(_BoundedMany, _drf.Serializer):
    pass


class ModelSerializer(_BoundedMany, _drf.ModelSerializer):
    """DRF's ModelSerializer with the strict fields above for the model fields it builds."""

    serializer_field_mapping = {
        **_drf.ModelSerializer.serializer_field_mapping,
        models.AutoField: IntegerField,
        models.BigIntegerField: IntegerField,
        models.BooleanField: BooleanField,
        models.CharField: CharField,
        models.EmailField: EmailField,
        models.IntegerField: IntegerField,
        models.PositiveIntegerField: IntegerField,
        models.PositiveSmallIntegerField: IntegerField,
        models.PositiveBigIntegerField: IntegerField,
        models.SlugField: SlugField,
        models.SmallIntegerField: IntegerField,
        models.TextField: CharField,
        models.URLField: URLField,
        models.UUIDField: UUIDField,
    }

