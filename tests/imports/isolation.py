"""Isolation entries of the 案件インポート routes (read by tests/cross/test_tenant_isolation.py)."""

from imports.models import ImportMapping, ImportRun
from tests.imports.files import csv_bytes, salesforce_rows

SECRET_FILE = "他テナントの秘密ファイル.csv"
SECRET_MAPPING = "他テナントの秘密マッピング"


def _run(world):
    data = csv_bytes(salesforce_rows(1))
    return ImportRun.objects.create(tenant=world.tenant, actor=world.admin, file_name=SECRET_FILE, data=data,
                                    file_size=len(data), kind="csv", encoding="utf-8", delimiter=",",
                                    header=salesforce_rows(1)[0], row_count=2)


def _mapping(world):
    # get_or_create: the permissions matrix makes one per role in the same tenant
    return ImportMapping.objects.get_or_create(tenant=world.tenant, name=SECRET_MAPPING, defaults={"config": {}})[0]


OBJECT_FACTORIES = {
    "imports:mapping": (_run, SECRET_FILE),
    "imports:status": (_run, SECRET_FILE),
    "imports:report": (_run, SECRET_FILE),
    "imports:mapping_delete": (_mapping, SECRET_MAPPING),
}
