"""証憑ファイル: files attached on the request form go to the freee company's ファイルボックス, and their ids
become the request's `receipt_ids` (freee's payment requests list ファイルボックス ids, seed 004's 証憑ファイル).

An external call: the view uploads before the request's own service runs, never inside a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from integrations.freee import messages as freee_messages
from integrations.freee.errors import FreeeError
from payment_requests.mirror import connected_client
from payment_requests.services.base import check_membership, fail
from tenancy.models import Membership, Tenant

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
NOT_CONNECTED = _(
    "証憑ファイルはfreeeのファイルボックスに保存します。管理者設定でfreeeと接続してから添付してください。"
)


def receipts_upload(
    *, tenant: Tenant, membership: Membership, files: Sequence[UploadedFile], description: str = ""
) -> list[int]:
    """Upload each file to the ファイルボックス; returns their freee ids in order. Stops at the first refusal
    (files already uploaded stay in the ファイルボックス, as after an upload in freee itself)."""
    check_membership(tenant, membership)
    if len(files) > MAX_FILES:
        raise fail(_("証憑ファイルは一度に%(max)d件まで添付できます。") % {"max": MAX_FILES}, "receipts_too_many")
    for upload in files:
        if not upload.size or upload.size > MAX_FILE_BYTES:
            raise fail(
                _("証憑ファイル（%(name)s）は1ファイル10MB以内の空でないファイルにしてください。")
                % {"name": upload.name},
                "receipt_size",
            )
    try:
        client = connected_client(tenant, max_wait=5)
    except ApplicationError as error:  # not connected: said for this feature
        raise fail(str(NOT_CONNECTED), "freee_not_connected") from error
    ids = []
    for upload in files:
        try:
            receipt = client.receipt_create(
                file_name=upload.name,
                content=upload.read(),
                content_type=upload.content_type or "application/octet-stream",
                description=description[:255],
            )
        except FreeeError as error:
            raise fail(
                _("証憑ファイル（%(name)s）をfreeeに保存できませんでした: %(reason)s")
                % {"name": upload.name, "reason": freee_messages.call_error(error)},
                "receipt_upload",
            ) from error
        ids.append(receipt.id)
    return ids
