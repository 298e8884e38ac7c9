from rest_framework.routers import SimpleRouter

from payment_requests.api import views

router = SimpleRouter()
router.register("payment_requests", views.PaymentRequestViewSet, basename="payment-request")
router.register("approval_flow_routes", views.ApprovalFlowRouteViewSet, basename="approval-flow-route")

urlpatterns = router.urls
