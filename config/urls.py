from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import urls as account_urls
from core import views as core_views

api_v1 = [
    path("", include("core.api.urls")),
    path("", include("deals.api.urls")),
    path("", include("invoices.api.urls")),
    path("", include("journals.api.urls")),
    path("", include("journals.sync.api.urls")),
    path("", include("payment_requests.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("accounts.urls")),  # /login/, /logout/, /signup/, /account/... (django-allauth)
    path("", include((account_urls.app_patterns, "accounts"))),  # アカウント設定, invitations, leaving
    path("metrics", core_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tenancy.urls")),
    path("", include("core.urls")),
    path("", include("integrations.urls")),
    path("deals/import/", include("imports.urls")),  # 案件インポート (before deals/, whose routes it extends)
    path("deals/", include("deals.urls")),
    path("", include("invoices.urls")),
    path("journals/", include("journals.urls")),
    path("", include("journals.sync.urls")),
    path("", include("payment_requests.urls")),
    path("", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.SANDBOX_ENABLED:  # the fake freee / LINE WORKS of development and tests; never in production
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

admin.site.site_header = "CRM-会計連携ハブ 管理サイト"
admin.site.site_title = "CRM-会計連携ハブ"

