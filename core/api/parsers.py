"""The API's parsers (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES, the token endpoint too): DRF's, with the edge's
bounds of core.input_guard. A refused body is a 400 in the API's error format, never a RecursionError or a
NUL reaching PostgreSQL.
"""

from __future__ import annotations

from rest_framework import exceptions, parsers

from core import input_guard


def api_error(error: input_guard.BadInput) -> exceptions.APIException:
    """A field-level refusal is a validation error naming the field; the others are parse errors."""
    if error.code == "bad_character":
        return exceptions.ValidationError({error.field or "non_field": [error.message]})
    return exceptions.ParseError(error.message, code=error.code)


class JSONParser(parsers.JSONParser):
    """At most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, nested at most MAX_JSON_DEPTH deep, no NUL/lone surrogate."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(input_guard.max_body_size() + 1)
        try:
            return input_guard.loads(body)
        except input_guard.BadInput as error:
            raise api_error(error) from error


class _CheckedQueryDictMixin:
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data if isinstance(parsed, parsers.DataAndFiles) else parsed
        try:
            input_guard.check_pairs(data.lists())
        except input_guard.BadInput as error:
            raise api_error(error) from error
        return parsed


class FormParser(_CheckedQueryDictMixin, parsers.FormParser):
    """Form bodies of PUT/PATCH (POST forms are checked by core.middleware.BadInputMiddleware too)."""


class MultiPartParser(_CheckedQueryDictMixin, parsers.MultiPartParser):
    """Multipart bodies' fields."""
