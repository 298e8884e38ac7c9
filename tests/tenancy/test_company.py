"""会社情報: the company name and its 適格請求書発行事業者登録番号 (T + 13 digits, check digit verified)."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from tenancy.validators import registration_check_digit

pytestmark = pytest.mark.django_db


def save(world, number: str):
    return world.client("admin").post(
        reverse("tenancy:company"), {"name": "株式会社新社名", "registration_number": number}
    )


def test_the_nta_check_digit_of_known_numbers():
    assert registration_check_digit("000012050002") == 7  # 国税庁's own 法人番号 7000012050002
    assert registration_check_digit("180301018771") == 1


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("T7000012050002", "T7000012050002"), ("ｔ７０００ ０１２０-５０００２", "T7000012050002"), ("", "")],
)
def test_a_valid_number_is_saved_normalised_and_audited(world_a, typed, stored):
    assert save(world_a, typed).status_code == 302
    world_a.tenant.refresh_from_db()
    assert (world_a.tenant.name, world_a.tenant.registration_number) == ("株式会社新社名", stored)
    assert AuditEntry.objects.for_tenant(world_a.tenant).filter(action="tenant.company_update").exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("T1000012050002", "チェックディジットが一致しません"),
        ("7000012050002", "T と13桁の数字"),
        ("T70000120500", "T と13桁の数字"),
    ],
)
def test_a_wrong_number_is_a_japanese_form_error(world_a, typed, message):
    response = save(world_a, typed)
    assert response.status_code == 400 and message in response.content.decode()
    world_a.tenant.refresh_from_db()
    assert world_a.tenant.registration_number == ""


def test_members_cannot_change_it(world_a):
    assert world_a.member and world_a.client("member").get(reverse("tenancy:company")).status_code == 403
