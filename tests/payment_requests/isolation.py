"""Tenant B's payment requests and routes for every object route of payment_requests (pages and API)."""

import itertools

from payment_requests import services
from tests.payment_requests.factories import flow_for, request_input

SECRET_TITLE = "他テナントの秘密の支払依頼"
SECRET_ROUTE = "他テナントの秘密の申請経路"
_labels = itertools.count(1)  # a test may make several objects: each flow gets its own users


def _request(world):
    flow = flow_for(world, label=f"iso{next(_labels)}")
    return services.payment_request_create(tenant=world.tenant, membership=flow.membership("applicant"),
                                           data=request_input(flow, title=SECRET_TITLE, draft=True))


def _route(world):
    flow = flow_for(world, label=f"iso{next(_labels)}")
    flow.route.name = SECRET_ROUTE
    flow.route.save()
    return flow.route


REQUEST_ROUTES = ["payment_requests:detail", "payment_requests:edit", "payment_requests:action",
                  "payment_requests:comment", "payment_requests:delete", "payment_requests:mirror_retry",
                  "payment_requests:refresh", "payment_requests:pay", "payment_requests:unpay",
                  "api:payment-request-detail", "api:payment-request-actions", "api:payment-request-comments",
                  "api:payment-request-mirror-retry", "api:payment-request-refresh", "api:payment-request-pay"]
ROUTE_ROUTES = ["payment_requests:route_edit", "payment_requests:route_delete", "api:approval-flow-route-detail"]

OBJECT_FACTORIES = {
    **{name: (_request, SECRET_TITLE) for name in REQUEST_ROUTES},
    **{name: (_route, SECRET_ROUTE) for name in ROUTE_ROUTES},
}
ADMIN_ONLY = {"payment_requests:route_edit", "payment_requests:route_delete", "payment_requests:settings",
              "payment_requests:settings_mirror", "payment_requests:settings_import_routes",
              "payment_requests:route_create", "payment_requests:settings_freee_users"}
