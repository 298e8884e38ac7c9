"""Factories of the 会計連携 tests."""

import factory

from journals.sync.models import SyncRecord


class SyncRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRecord

    tenant = factory.SubFactory("tests.factories.TenantFactory")
    document_type = "invoice"
    document_id = factory.Sequence(lambda n: 900_000 + n)
    document_label = factory.Sequence(lambda n: f"請求書 INV-{n:07d}")
    operation = SyncRecord.Operation.ADD
    status = SyncRecord.Status.WAITING
