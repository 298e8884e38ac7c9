from django.urls import path

from invoices import views

app_name = "invoices"

urlpatterns = [
    path("invoices/", views.invoice_list, name="list"),
    path("settings/invoices/", views.InvoiceSettingsView.as_view(), name="settings"),
    path("deals/<uuid:public_id>/invoices/", views.deal_tab, name="deal_tab"),
    path("deals/<uuid:public_id>/invoices/partners/", views.partner_search, name="partner_search"),
    path("deals/<uuid:public_id>/invoices/issue/", views.invoice_issue, name="issue"),
    path("invoices/bulk-refresh/", views.bulk_refresh, name="bulk_refresh"),
    path("invoices/bulk-refresh/panel/", views.bulk_refresh_panel, name="bulk_refresh_panel"),
    path("invoices/<uuid:public_id>/row/", views.invoice_row, name="row"),
    path("invoices/<uuid:public_id>/refresh/", views.invoice_refresh, name="refresh"),
    path("invoices/<uuid:public_id>/resync/", views.invoice_resync, name="resync"),
    path("invoices/<uuid:public_id>/retry/", views.invoice_retry, name="retry"),
    path("invoices/<uuid:public_id>/cancel/", views.invoice_cancel, name="cancel"),
    path("invoices/<uuid:public_id>/uncancel/", views.invoice_uncancel, name="uncancel"),
    path("invoices/<uuid:public_id>/ledger/", views.ledger_history, name="ledger_history"),
    path("invoices/<uuid:public_id>/ledger/sync/", views.ledger_sync, name="ledger_sync"),
]
