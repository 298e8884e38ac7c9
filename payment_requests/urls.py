from django.urls import path

from payment_requests import views

app_name = "payment_requests"

urlpatterns = [
    path("payment-requests/", views.request_list, name="list"),
    path("payment-requests/new/", views.request_create, name="create"),
    path("payment-requests/totals/", views.request_totals, name="totals"),
    path("payment-requests/<uuid:public_id>/", views.request_detail, name="detail"),
    path("payment-requests/<uuid:public_id>/edit/", views.request_edit, name="edit"),
    path("payment-requests/<uuid:public_id>/actions/", views.request_action, name="action"),
    path("payment-requests/<uuid:public_id>/comments/", views.request_comment, name="comment"),
    path("payment-requests/<uuid:public_id>/delete/", views.request_delete, name="delete"),
    path("payment-requests/<uuid:public_id>/pay/", views.request_pay, name="pay"),
    path("payment-requests/<uuid:public_id>/unpay/", views.request_unpay, name="unpay"),
    path("payment-requests/<uuid:public_id>/mirror-retry/", views.request_mirror_retry, name="mirror_retry"),
    path("payment-requests/<uuid:public_id>/refresh/", views.request_refresh, name="refresh"),
    path("settings/payment-requests/", views.settings_page, name="settings"),
    path("settings/payment-requests/mirror/", views.settings_mirror, name="settings_mirror"),
    path("settings/payment-requests/import-routes/", views.settings_import_routes, name="settings_import_routes"),
    path("settings/payment-requests/freee-users/", views.settings_freee_users, name="settings_freee_users"),
    path("settings/payment-requests/routes/new/", views.route_create, name="route_create"),
    path("settings/payment-requests/routes/<uuid:public_id>/", views.route_edit, name="route_edit"),
    path("settings/payment-requests/routes/<uuid:public_id>/delete/", views.route_delete, name="route_delete"),
]
