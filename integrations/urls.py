from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("settings/integrations/freee/", views.FreeeSettingsView.as_view(), name="freee_settings"),
    path("settings/integrations/freee/connect/", views.FreeeConnectView.as_view(), name="freee_connect"),
    path("settings/integrations/freee/authorize-oob/", views.FreeeOobAuthorizeView.as_view(), name="freee_oob"),
    path("settings/integrations/freee/code/", views.FreeePasteCodeView.as_view(), name="freee_paste_code"),
    path("settings/integrations/freee/check/", views.FreeeCheckView.as_view(), name="freee_check"),
    path("settings/integrations/freee/disconnect/", views.FreeeDisconnectView.as_view(), name="freee_disconnect"),
    path("settings/integrations/logs/", views.ApiCallLogView.as_view(), name="api_call_log"),
    path("integrations/freee/callback/", views.FreeeCallbackView.as_view(), name="freee_callback"),
]
