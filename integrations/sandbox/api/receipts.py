"""Fake freee会計 ファイルボックス (証憑ファイル) upload: POST /api/1/receipts (multipart/form-data).

Only what the product needs: the upload answers freee's `receipt` object; the file's bytes are not kept (their
size and SHA-256 are, so a test can tell which file arrived).
"""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.utils import timezone

from integrations.sandbox.api.accounting import company_users
from integrations.sandbox.api.base import ACCOUNTING, ApiContext, bad_request, freee_endpoint, json_response
from integrations.sandbox.ratelimit import JST
from integrations.sandbox.services import next_ids, resource_save

MAX_BYTES = 10 * 1024 * 1024  # the sandbox's own bound on one file
DESCRIPTION_MAX = 255


@freee_endpoint(ACCOUNTING)
def receipt_create(ctx: ApiContext) -> HttpResponse:
    """POST /api/1/receipts: one file part `receipt`, optional `description` (≤255); 201 {receipt}."""
    upload = ctx.request.FILES.get("receipt")
    if upload is None or not upload.size:
        raise bad_request(ACCOUNTING, "receipt を指定してください。")
    if upload.size > MAX_BYTES:
        raise bad_request(ACCOUNTING, "ファイルサイズが大きすぎます。")
    description = str(ctx.body.get("description") or "")
    if len(description) > DESCRIPTION_MAX:
        raise bad_request(ACCOUNTING, f"description は{DESCRIPTION_MAX}文字以内で入力してください。")
    content = upload.read()
    owner = company_users(ctx)[0]
    receipt = {
        "id": next_ids(ctx.company, "receipt")[0],
        "status": "confirmed",
        "description": description,
        "mime_type": upload.content_type or "application/octet-stream",
        "origin": "public_api",
        "created_at": timezone.now().astimezone(JST).isoformat(timespec="seconds"),
        "user": {"id": owner["id"], "email": owner.get("email", ""), "display_name": owner.get("display_name")},
        "receipt_metadatum": None,
        "qualified_invoice": None,
        "invoice_registration_number": None,
        "document_type": None,
    }
    resource_save(
        company=ctx.company,
        kind="receipt",
        data={**receipt, "file_name": upload.name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()},
    )
    return json_response({"receipt": receipt}, status=201)
