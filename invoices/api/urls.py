from django.urls import path
from rest_framework.routers import SimpleRouter

from invoices.api import views

router = SimpleRouter()
router.register("invoices", views.InvoiceViewSet, basename="invoice")

urlpatterns = [
    path("deals/<uuid:public_id>/invoices/", views.DealInvoiceListView.as_view(), name="deal-invoices"),
    path("invoices/bulk-refresh/", views.BulkRefreshView.as_view(), name="invoice-bulk-refresh"),
    path("deals/<uuid:public_id>/lines/", views.DealLineListView.as_view(), name="deal-lines"),
    *router.urls,
]
