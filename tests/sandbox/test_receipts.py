"""The sandbox's ファイルボックス upload (POST /api/1/receipts, multipart) answers freee's receipt body."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.sandbox.models import SandboxResource
from tests.sandbox.conftest import BASE
from tests.sandbox.freee_schema import ACCOUNTING, assert_conforms, require_reference

pytestmark = pytest.mark.django_db


def _upload(api, **fields):
    return api.client.post(
        f"{BASE}/api/1/receipts", {"company_id": api.company_id, **fields}, HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )


def test_an_upload_is_stored_and_answered_as_freee_does(api, company):
    require_reference()
    response = _upload(api, description="領収書", receipt=SimpleUploadedFile("r.png", b"\x89PNG", "image/png"))
    assert response.status_code == 201
    assert_conforms(ACCOUNTING, "/api/1/receipts", "post", response)
    receipt = response.json()["receipt"]
    stored = SandboxResource.objects.get(company=company, kind="receipt", resource_id=receipt["id"]).data
    assert (stored["file_name"], stored["size"], receipt["mime_type"]) == ("r.png", 4, "image/png")


def test_an_upload_without_a_file_is_freees_400(api):
    require_reference()
    response = _upload(api, description="ファイルなし")
    assert response.status_code == 400
    assert_conforms(ACCOUNTING, "/api/1/receipts", "post", response)
    assert response.json()["errors"][0]["messages"] == ["receipt を指定してください。"]
