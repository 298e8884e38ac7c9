from django.urls import path

from deals import views

app_name = "deals"

urlpatterns = [
    path("", views.DealListView.as_view(), name="list"),
    path("new/", views.DealEditView.as_view(), name="create"),
    path("partners/", views.DealPartnerSearchView.as_view(), name="partner_search"),
    path("export.csv", views.DealCsvView.as_view(), name="csv"),
    path("types/", views.DealTypeListView.as_view(), name="type_list"),
    path("<uuid:public_id>/", views.DealDetailView.as_view(), name="detail"),
    path("<uuid:public_id>/edit/", views.DealEditView.as_view(), name="update"),
    path("<uuid:public_id>/delete/", views.DealDeleteView.as_view(), name="delete"),
]
