import logging

from core.logging import RedactSecretsFilter, redact


def test_tokens_and_secrets_are_masked():
    text = redact('{"access_token": "abc123def456", "client_secret": "zzz"} Authorization: Bearer eyJhbGciOi.x.y')
    assert "abc123def456" not in text and "zzz" not in text and "eyJhbGciOi" not in text
    assert "***" in text


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "refresh_token=%s", ("r-123456",), None)
    RedactSecretsFilter().filter(record)
    assert "r-123456" not in record.getMessage()
