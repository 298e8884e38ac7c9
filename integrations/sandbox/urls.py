"""The freee sandbox: OAuth under /sandbox/freee/public_api/, 会計 under /sandbox/freee/api/1/, 請求書 under
/sandbox/freee/iv/ (the same paths as freee's), and the console under /sandbox/console/."""

from django.urls import path

from integrations.sandbox import (
    console_views,
    lineworks,
    lineworks_console,
    mailbox,
    oauth_views,
    report_views,
    web_views,
)
from integrations.sandbox.api import accounting, deals, invoices, payment_requests, receipts, tags
from integrations.sandbox.api.base import method_router

app_name = "sandbox"

oauth = [
    path("freee/public_api/authorize", oauth_views.authorize, name="freee-authorize"),
    path("freee/public_api/token", oauth_views.token, name="freee-token"),
    path("freee/public_api/revoke", oauth_views.revoke, name="freee-revoke"),
]

accounting_api = [
    path("freee/api/1/companies", accounting.companies, name="freee-companies"),
    path("freee/api/1/companies/<int:company_id>", accounting.company_detail, name="freee-company"),
    path("freee/api/1/users/me", accounting.users_me, name="freee-users-me"),
    path("freee/api/1/users", accounting.users, name="freee-users"),
    path("freee/api/1/partners", accounting.partners, name="freee-partners"),
    path("freee/api/1/account_items", accounting.account_items, name="freee-account-items"),
    path("freee/api/1/taxes/companies/<int:company_id>", accounting.company_taxes, name="freee-taxes"),
    path("freee/api/1/walletables", accounting.walletables, name="freee-walletables"),
    path("freee/api/1/deals", method_router(get=deals.deal_list, post=deals.deal_create), name="freee-deals"),
    path("freee/api/1/deals/<int:deal_id>",
         method_router(get=deals.deal_show, put=deals.deal_update, delete=deals.deal_delete), name="freee-deal"),
    path("freee/api/1/deals/<int:deal_id>/payments", method_router(post=deals.deal_payment_create),
         name="freee-deal-payments"),
    path("freee/api/1/deals/<int:deal_id>/payments/<int:payment_id>", method_router(delete=deals.deal_payment_delete),
         name="freee-deal-payment"),
    path("freee/api/1/tags", method_router(get=tags.tag_list, post=tags.tag_create), name="freee-tags"),
    path("freee/api/1/payment_requests",
         method_router(get=payment_requests.payment_request_list, post=payment_requests.payment_request_create),
         name="freee-payment-requests"),
    path("freee/api/1/payment_requests/<int:request_id>",
         method_router(get=payment_requests.payment_request_show, put=payment_requests.payment_request_update,
                       delete=payment_requests.payment_request_delete), name="freee-payment-request"),
    path("freee/api/1/payment_requests/<int:request_id>/actions",
         method_router(post=payment_requests.payment_request_action), name="freee-payment-request-actions"),
    path("freee/api/1/receipts", method_router(post=receipts.receipt_create), name="freee-receipts"),
    path("freee/api/1/approval_flow_routes", accounting.approval_flow_routes, name="freee-approval-flow-routes"),
    path("freee/api/1/approval_flow_routes/<int:route_id>", accounting.approval_flow_route,
         name="freee-approval-flow-route"),
]

invoice_api = [
    path("freee/iv/invoices", method_router(get=invoices.invoice_list, post=invoices.invoice_create),
         name="freee-iv-invoices"),
    path("freee/iv/invoices/templates", method_router(get=invoices.invoice_templates), name="freee-iv-templates"),
    path("freee/iv/invoices/<int:invoice_id>",
         method_router(get=invoices.invoice_show, put=invoices.invoice_update), name="freee-iv-invoice"),
    path("freee/iv/invoices/<int:invoice_id>/cancel", method_router(put=invoices.invoice_cancel),
         name="freee-iv-invoice-cancel"),
    path("freee/iv/invoices/<int:invoice_id>/uncancel", method_router(put=invoices.invoice_uncancel),
         name="freee-iv-invoice-uncancel"),
    path("freee/iv/reports/invoices/<int:invoice_id>", report_views.invoice_report, name="freee-iv-report"),
    # freee's web pages for people (settings.FREEE_WEB_URL): a member of the tenant, like the invoice page above
    path("freee/web/partners", web_views.web_partners, name="freee-web-partners"),
]

console = [
    path("console/", console_views.console_index, name="console"),
    path("console/apps/<uuid:public_id>/", console_views.console_app, name="console-app"),
    path("console/companies/<uuid:public_id>/", console_views.console_company, name="console-company"),
]

lineworks_api = [
    path("lineworks/auth/oauth2/v2.0/token", lineworks.token, name="lineworks-token"),
    path("lineworks/v1.0/bots/<str:bot_id>/users/<str:user_id>/messages", lineworks.user_messages,
         name="lineworks-user-messages"),
    path("lineworks/v1.0/bots/<str:bot_id>/channels/<str:channel_id>/messages", lineworks.channel_messages,
         name="lineworks-channel-messages"),
    path("lineworks/v1.0/users/<str:user_id>", lineworks.user_detail, name="lineworks-user-detail"),
    path("lineworks/v1.0/bots/<str:bot_id>/domains", lineworks.bot_domains, name="lineworks-bot-domains"),
    path("lineworks/v1.0/bots/<str:bot_id>/richmenus", lineworks.richmenus, name="lineworks-richmenus"),
    path("lineworks/v1.0/bots/<str:bot_id>/richmenus/default", lineworks.default_richmenu,
         name="lineworks-richmenu-default"),
    path("lineworks/v1.0/bots/<str:bot_id>/richmenus/users/<str:user_id>", lineworks.user_richmenu,
         name="lineworks-richmenu-user"),
    path("lineworks/v1.0/bots/<str:bot_id>/richmenus/<str:richmenu_id>", lineworks.richmenu,
         name="lineworks-richmenu"),
    path("lineworks/v1.0/bots/<str:bot_id>/richmenus/<str:richmenu_id>/set-default", lineworks.default_richmenu,
         name="lineworks-richmenu-set-default"),
    path("lineworks/v1.0/bots/<str:bot_id>/richmenus/<str:richmenu_id>/users/<str:user_id>",
         lineworks.user_richmenu, name="lineworks-richmenu-user-set"),
]

lineworks_console_pages = [
    path("lineworks/console/", lineworks_console.console_lineworks, name="console-lineworks"),
    path("lineworks/console/<uuid:public_id>/", lineworks_console.console_lineworks_domain,
         name="console-lineworks-domain"),
    path("lineworks/console/users/<uuid:public_id>/inbox/", lineworks_console.console_lineworks_inbox,
         name="console-lineworks-inbox"),
]

# The mailbox of the local SMTP server: no login (a new user reads their verification mail here).
mailbox_pages = [
    path("mail/", mailbox.mailbox_list, name="mailbox"),
    path("mail/<str:key>/", mailbox.mailbox_message, name="mailbox-message"),
]

urlpatterns = oauth + accounting_api + invoice_api + console + lineworks_api + lineworks_console_pages + mailbox_pages
