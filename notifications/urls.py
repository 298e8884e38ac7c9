from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("settings/integrations/lineworks/", views.LinkListView.as_view(), name="link_list"),
    path("settings/integrations/lineworks/new/", views.LinkCreateView.as_view(), name="link_create"),
    path("settings/integrations/lineworks/<uuid:public_id>/", views.LinkUpdateView.as_view(), name="link_update"),
    path("settings/integrations/lineworks/<uuid:public_id>/test/", views.LinkTestView.as_view(), name="link_test"),
    path("settings/integrations/lineworks/<uuid:public_id>/delete/", views.LinkDeleteView.as_view(),
         name="link_delete"),
    path("settings/notifications/deliveries/", views.DeliveryListView.as_view(), name="delivery_list"),
    path("settings/notifications/deliveries/<uuid:public_id>/retry/", views.DeliveryRetryView.as_view(),
         name="delivery_retry"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("profile/lineworks/link/", views.ProfileLinkStartView.as_view(), name="profile_link"),
    path("profile/lineworks/unlink/", views.ProfileUnlinkView.as_view(), name="profile_unlink"),
    path("profile/notifications/", views.PreferencesView.as_view(), name="preferences"),
    path("lineworks/link/", views.LinkConfirmView.as_view(), name="link_confirm"),
    path("lineworks/unlink/", views.UnlinkConfirmView.as_view(), name="unlink_confirm"),
    path("lineworks/approval/", views.ApprovalView.as_view(), name="approval"),
    path("lineworks/callback/", views.lineworks_callback, name="lineworks_callback"),
]
