from rest_framework.routers import SimpleRouter

from journals.api import views

router = SimpleRouter()
router.register("account-items", views.AccountItemViewSet, basename="account-item")
router.register("tax-codes", views.TaxCodeViewSet, basename="tax-code")
router.register("wallets", views.WalletViewSet, basename="wallet")
router.register("trades", views.TradeViewSet, basename="trade")
router.register("journal-entries", views.JournalEntryViewSet, basename="journal-entry")
router.register("manual-journals", views.ManualJournalViewSet, basename="manual-journal")

urlpatterns = router.urls
