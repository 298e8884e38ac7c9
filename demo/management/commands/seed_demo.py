"""Seed the demo tenant once (admin, sales user, two deal types, ~50 deals) and print the demo logins."""

import random
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from deals.models import Deal, DealLine, DealType, Product, TaxRate
from integrations.models import FreeeConnection, LineWorksLink
from integrations.sandbox import services as sandbox_services
from integrations.sandbox.lineworks import sandbox_lineworks_domain_create
from integrations.sandbox.models import SandboxCompany
from tenancy import services as tenancy_services
from tenancy.models import Membership, Tenant

DEMO_TENANT = "デモ株式会社"
USERS = [("demo-admin", Membership.Role.ADMIN), ("demo-sales", Membership.Role.MEMBER)]
PARTNERS = ["株式会社山田商事", "有限会社さくら工務店", "株式会社ブルーオーシャン", "合同会社ひかりデザイン",
            "株式会社東京ロジスティクス", "株式会社みなと食品", "一般社団法人未来教育協会", "株式会社北斗システム"]
SUBJECTS = ["Webサイト制作", "保守サポート", "業務システム導入", "コンサルティング", "広告運用代行", "研修実施",
            "クラウド移行支援", "データ分析支援"]
PRODUCTS = [("Web制作一式", "式", Decimal(300000), TaxRate.STANDARD_10),
            ("保守サポート（月額）", "月", Decimal(50000), TaxRate.STANDARD_10),
            ("ライセンス", "本", Decimal(12000), TaxRate.STANDARD_10),
            ("お弁当（会議用）", "個", Decimal(980), TaxRate.REDUCED_8),
            ("作業工数", "時間", Decimal(8000), TaxRate.STANDARD_10)]
DEAL_COUNT = 50


class Command(BaseCommand):
    help = "Create the demo tenant once and print the demo logins (safe to run on every start)."

    def handle(self, *args, **options):
        if not Tenant.objects.filter(name=DEMO_TENANT, settings__demo=True).exists():
            self._seed()
        tenant = Tenant.objects.get(name=DEMO_TENANT, settings__demo=True)
        if settings.SANDBOX_ENABLED and not FreeeConnection.objects.filter(tenant=tenant).exclude(
                status=FreeeConnection.Status.NOT_CONNECTED).exists():
            self._connect_sandbox(tenant)
        if settings.SANDBOX_ENABLED:
            self._demo_partners(tenant)
        if settings.SANDBOX_ENABLED and not LineWorksLink.objects.filter(tenant=tenant).exists():
            self._link_lineworks(tenant)
        self._print_logins()

    @transaction.atomic
    def _link_lineworks(self, tenant: Tenant) -> None:
        """Link the demo tenant to a sandbox LINE WORKS domain. Employees link themselves (ID連携) in the demo,
        from their profile page or from the bot in the sandbox console, as seed 003 describes."""
        domain = sandbox_lineworks_domain_create(tenant=tenant, name="デモ株式会社（LINE WORKSサンドボックス）")
        # Stored directly: the sandbox domain was made here, so its id is its own (lineworks_link_save would ask
        # LINE WORKS to confirm it, and the sandbox is not being served while the seed runs).
        LineWorksLink.objects.create(
            tenant=tenant, domain_id=domain.domain_id, name=domain.name, client_id=domain.client_id,
            client_secret=domain.client_secret, service_account=domain.service_account,
            private_key=domain.private_key, bot_id=domain.bot_id, bot_secret=domain.bot_secret,
            rate_limit_per_minute=domain.rate_limit_per_minute, domain_verified_at=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"linked the demo tenant to the LINE WORKS sandbox ({domain.domain_id})"))

    @transaction.atomic
    def _connect_sandbox(self, tenant: Tenant) -> None:
        """Connect the demo tenant to a company of the freee sandbox, as if the admin had done it."""
        app = sandbox_services.sandbox_app_create(tenant=tenant, name="デモ用freeeアプリ")
        company = sandbox_services.sandbox_company_create(app=app, name="デモ株式会社（freeeサンドボックス）")
        # 法人エンタープライズ: the plan with 支払依頼 (seed 004), so the demo can try payment requests
        sandbox_services.sandbox_company_update(company=company, plan="enterprise")
        access, refresh = sandbox_services.sandbox_tokens_issue(app=app, company=company)
        FreeeConnection.objects.update_or_create(tenant=tenant, defaults={
            "client_id": app.client_id, "client_secret": app.client_secret, "company_id": company.company_id,
            "company_name": company.display_name, "access_token": access.token, "refresh_token": refresh.token,
            "access_expires_at": access.expires_at, "refresh_issued_at": refresh.created_at, "scope": "read write",
            "status": FreeeConnection.Status.CONNECTED, "daily_cap": FreeeConnection.DailyCap.ENTERPRISE,
        })
        self.stdout.write(self.style.SUCCESS(f"connected the demo tenant to the freee sandbox ({company.company_id})"))

    @transaction.atomic
    def _demo_partners(self, tenant: Tenant) -> None:
        """The demo deals' 取引先 exist in the demo's sandbox company and are chosen on the deals, as if picked from
        freee's search, so the 請求書 tab of any demo deal issues at once (and its search finds the name). Runs on
        every start: a name already there is not registered again, a partner a user chose is left alone."""
        connection = FreeeConnection.objects.filter(tenant=tenant).first()
        company = connection and SandboxCompany.objects.for_tenant(tenant).filter(
            company_id=connection.company_id).first()
        if company is None:
            return  # connected to something else than the demo's own sandbox company
        deals = Deal.objects.for_tenant(tenant).exclude(partner_name="")
        names = sorted(set(deals.values_list("partner_name", flat=True)))
        ids = sandbox_services.sandbox_partners_ensure(company=company, names=names)
        linked = sum(deals.filter(partner_name=name, partner_freee_id__isnull=True).update(partner_freee_id=ids[name])
                     for name in names)
        if linked:
            self.stdout.write(self.style.SUCCESS(f"chose the sandbox's partners on {linked} demo deals"))

    @transaction.atomic
    def _seed(self) -> None:
        rng = random.Random(20261121)  # noqa: S311 - demo data, not security
        tenant = tenancy_services.tenant_create(name=DEMO_TENANT, plan=Tenant.Plan.STANDARD)
        tenant.settings = {"demo": True}
        tenant.save(update_fields=["settings"])
        users = {}
        lines_out = []
        for username, role in USERS:
            password = secrets.token_urlsafe(9)
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                user = tenancy_services.user_create(username=username, password=password,
                                                    email=f"{username}@example.com")
            else:
                user.set_password(password)
                user.save()
            tenancy_services.membership_create(tenant=tenant, user=user, role=role)
            users[username] = user
            lines_out.append(f"{username} / {password}  ({Membership.Role(role).label})")
        self._write_logins(lines_out)
        types = [DealType.objects.get(tenant=tenant, name="標準"),  # made by tenant_create, with the other defaults
                 DealType.objects.create(tenant=tenant, name="保守契約", linked_to_freee=False)]
        products = [Product.objects.create(tenant=tenant, name=n, unit=u, unit_price=p, tax_rate=t)
                    for n, u, p, t in PRODUCTS]
        today = date.today()
        for i in range(DEAL_COUNT):
            self._deal(tenant, rng, i, types, products, users, today)
        self.stdout.write(self.style.SUCCESS(f"seeded the demo tenant {DEMO_TENANT} with {DEAL_COUNT} deals"))

    def _deal(self, tenant, rng, i, types, products, users, today) -> None:
        partner = rng.choice(PARTNERS)
        deal = Deal.objects.create(
            tenant=tenant, name=f"{partner} {rng.choice(SUBJECTS)} {i + 1:02d}", deal_type=types[i % 5 == 4],
            stage=rng.choice(Deal.Stage.values), amount=rng.randrange(50, 3000) * 1000,
            expected_order_date=today + timedelta(days=rng.randrange(-60, 60)),
            expected_billing_date=today + timedelta(days=rng.randrange(-30, 90)),
            owner=users["demo-sales"], partner_name=partner,
        )
        if i % 3 == 0:
            return  # a third of the deals have no product lines: invoices use the deal amount
        total = Decimal(0)
        for position, product in enumerate(rng.sample(products, rng.randrange(1, 4))):
            quantity = Decimal(rng.randrange(1, 10))
            DealLine.objects.create(tenant=tenant, deal=deal, position=position, product=product,
                                    description=product.name, quantity=quantity, unit=product.unit,
                                    unit_price=product.unit_price, tax_rate=product.tax_rate)
            total += quantity * product.unit_price
        deal.amount = int(total)
        deal.save(update_fields=["amount"])

    def _write_logins(self, lines: list[str]) -> None:
        path = settings.DEMO_CREDENTIALS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)

    def _print_logins(self) -> None:
        path = settings.DEMO_CREDENTIALS_FILE
        if not path.exists():
            self.stdout.write("demo logins: not on this machine (the demo tenant was seeded elsewhere)")
            return
        self.stdout.write(self.style.SUCCESS("demo logins (username / password):"))
        for line in path.read_text().splitlines():
            self.stdout.write(f"  {line}")
