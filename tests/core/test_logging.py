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


def test_python_dict_reprs_as_libraries_log_them_are_masked():
    text = redact("data {'grant_type': 'refresh_token', 'client_secret': 's3cr3t-value', 'refresh_token': 'r-987654',"
                  " 'code': 'c-123456', 'assertion': 'eyJ.jwt.sig'} headers {'Authorization': 'Bearer abcdef123456789'}")
    for secret in ("s3cr3t-value", "r-987654", "c-123456", "eyJ.jwt.sig", "abcdef123456789"):
        assert secret not in text
    assert "'grant_type': 'refresh_token'" in text  # names and harmless values stay readable
