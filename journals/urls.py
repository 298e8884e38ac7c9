from django.urls import path

from journals import views

app_name = "journals"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("trades/", views.TradeListView.as_view(), name="trade_list"),
    path("trades/new/", views.TradeEditView.as_view(), name="trade_create"),
    path("trades/<uuid:public_id>/", views.TradeDetailView.as_view(), name="trade_detail"),
    path("trades/<uuid:public_id>/edit/", views.TradeEditView.as_view(), name="trade_update"),
    path("trades/<uuid:public_id>/delete/", views.TradeDeleteView.as_view(), name="trade_delete"),
    path("trades/<uuid:public_id>/payments/", views.TradePaymentCreateView.as_view(), name="trade_payment_create"),
    path("trade-payments/<uuid:public_id>/cancel/", views.TradePaymentCancelView.as_view(),
         name="trade_payment_cancel"),
    path("journal/", views.JournalBookView.as_view(), name="journal_book"),
    path("ledger/", views.GeneralLedgerIndexView.as_view(), name="general_ledger_index"),
    path("ledger/<uuid:public_id>/", views.GeneralLedgerView.as_view(), name="general_ledger"),
    path("trial-balance/", views.TrialBalanceView.as_view(), name="trial_balance"),
    path("manual-journals/", views.ManualJournalListView.as_view(), name="manual_journal_list"),
    path("manual-journals/new/", views.ManualJournalCreateView.as_view(), name="manual_journal_create"),
    path("manual-journals/<uuid:public_id>/delete/", views.ManualJournalDeleteView.as_view(),
         name="manual_journal_delete"),
    path("account-items/", views.AccountItemListView.as_view(), name="account_item_list"),
    path("tax-codes/", views.TaxCodeListView.as_view(), name="tax_code_list"),
    path("wallets/", views.WalletListView.as_view(), name="wallet_list"),
    path("masters/import/", views.MastersImportView.as_view(), name="masters_import"),
    path("settings/", views.LedgerSettingsView.as_view(), name="settings"),
]
