"""factory_boy factories shared by every test suite."""

from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from core.models import Job
from deals.models import Deal, DealLine, DealType, Product
from tenancy.models import Membership, PermissionProfile, Tenant

PASSWORD = "correct-horse-battery"  # noqa: S105 - test users only


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"テスト株式会社{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook
        if create:
            obj.save()
            if obj.email:  # a verified address, as users made by an admin or the demo seed have (allauth)
                EmailAddress.objects.get_or_create(user=obj, email=obj.email.lower(),  # allauth keeps it lower
                                                   defaults={"verified": True, "primary": True})


class PermissionProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PermissionProfile

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"権限プロファイル{n}")
    permissions = factory.LazyFunction(list)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class DealTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealType

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"案件タイプ{n}")
    linked_to_freee = True


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    unit = "式"
    unit_price = Decimal(10000)


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"案件{n}")
    deal_type = factory.SubFactory(DealTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = 110000
    partner_name = factory.Sequence(lambda n: f"取引先{n}")


class DealLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealLine

    deal = factory.SubFactory(DealFactory)
    tenant = factory.SelfAttribute("deal.tenant")
    description = factory.Sequence(lambda n: f"品目{n}")
    quantity = Decimal(2)
    unit_price = Decimal(5000)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    tenant = factory.SubFactory(TenantFactory)
    kind = "test.kind"
    total = 10


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invoices.Invoice"

    deal = factory.SubFactory(DealFactory)
    tenant = factory.SelfAttribute("deal.tenant")
    reference = factory.Sequence(lambda n: f"hub-test-{n}")
    partner_id = 1
    partner_name = factory.Sequence(lambda n: f"取引先{n}")
    billing_date = factory.LazyFunction(lambda: __import__("datetime").date(2026, 11, 30))
    state = "issued"
    freee_invoice_id = factory.Sequence(lambda n: 7_000_000 + n)
    invoice_number = factory.Sequence(lambda n: f"INV-{n:07d}")
    report_url = "https://invoice.example/report"
    total_amount = 110000
    sending_status = "unsent"
    payment_status = "unsettled"
    cancel_status = "uncanceled"
    deal_status = "unregistered"


def api_token_key(user, **options) -> str:
    """Issue an API token for `user` (core.tokens) and return its key, for `Authorization: Token <key>`."""
    from core.tokens import api_token_create

    return api_token_create(user=user, **options)[1]
