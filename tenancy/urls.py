from django.urls import path

from tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("tenant/switch/", views.tenant_switch, name="switch"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("settings/company/", views.CompanyView.as_view(), name="company"),
    path("settings/members/", views.MembershipListView.as_view(), name="membership_list"),
    path("settings/members/<uuid:public_id>/", views.MembershipUpdateView.as_view(), name="membership_update"),
    path("settings/permission-profiles/", views.PermissionProfileListView.as_view(),
         name="permission_profile_list"),
    path("settings/permission-profiles/new/", views.PermissionProfileEditView.as_view(),
         name="permission_profile_create"),
    path("settings/permission-profiles/<uuid:public_id>/", views.PermissionProfileEditView.as_view(),
         name="permission_profile_update"),
    path("settings/permission-profiles/<uuid:public_id>/delete/", views.PermissionProfileDeleteView.as_view(),
         name="permission_profile_delete"),
]
