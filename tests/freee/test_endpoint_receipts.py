"""POST /api/1/receipts (ファイルボックス upload, issue 14 item 23): a multipart body with company_id and the file
part `receipt`, the typed receipt back, freee's refusals kept, and bad arguments refused before sending."""

from __future__ import annotations

import pytest

from integrations.freee.errors import MalformedResponse, Permanent
from tests.freee.bodies import COMPANY_ID

API = "https://api.freee.co.jp"
RECEIPT = {
    "id": 7001,
    "status": "confirmed",
    "description": "外注費の支払い",
    "mime_type": "application/pdf",
    "origin": "public_api",
    "created_at": "2026-04-01T10:00:00+09:00",
    "user": {"id": 1, "email": "owner@example.com", "display_name": "freee 太郎"},
}

pytestmark = pytest.mark.django_db


def _multipart(fields: dict[str, str], file_part: tuple[str, bytes]):
    """Match a multipart body holding these text fields and the file part `receipt` (name, bytes)."""

    def match(request):
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        if not request.headers["Content-Type"].startswith("multipart/form-data"):
            return False, "not multipart"
        missing = [name for name, value in fields.items() if f'name="{name}"\r\n\r\n{value}\r\n'.encode() not in body]
        name, content = file_part
        has_file = f'name="receipt"; filename="{name}"'.encode() in body and content in body
        return (not missing and has_file), f"missing {missing} or file"

    return match


def test_receipt_create_uploads_the_file_with_the_company(freee, mocked):
    mocked.add(
        "POST",
        API + "/api/1/receipts",
        json={"receipt": RECEIPT},
        status=201,
        match=[
            _multipart({"company_id": str(COMPANY_ID), "description": "外注費の支払い"}, ("invoice.pdf", b"%PDF-1.4"))
        ],
    )

    receipt = freee.receipt_create(
        file_name="invoice.pdf", content=b"%PDF-1.4", content_type="application/pdf", description="外注費の支払い"
    )

    assert (receipt.id, receipt.status, receipt.mime_type) == (7001, "confirmed", "application/pdf")


def test_receipt_create_keeps_freees_refusal(freee, mocked):
    mocked.add(
        "POST",
        API + "/api/1/receipts",
        status=400,
        json={"status_code": 400, "errors": [{"type": "validation", "messages": ["ファイル形式が不正です。"]}]},
    )

    with pytest.raises(Permanent) as raised:
        freee.receipt_create(file_name="x.exe", content=b"MZ", content_type="application/octet-stream")

    assert raised.value.messages == ["ファイル形式が不正です。"]


def test_receipt_create_refuses_a_body_that_breaks_the_schema(freee, mocked):
    mocked.add("POST", API + "/api/1/receipts", status=201, json={"receipt": {"id": "not a number"}})

    with pytest.raises(MalformedResponse):
        freee.receipt_create(file_name="a.pdf", content=b"%PDF", content_type="application/pdf")


@pytest.mark.parametrize(("content", "description"), [(b"", ""), (b"%PDF", "x" * 256)])
def test_receipt_create_checks_its_arguments_before_sending(freee, mocked, content, description):
    with pytest.raises(ValueError):
        freee.receipt_create(
            file_name="a.pdf", content=content, content_type="application/pdf", description=description
        )
