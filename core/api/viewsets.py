"""The tenant-scoped API base: every queryset goes through `for_tenant(request.tenant)`; fails closed."""

from rest_framework import mixins, viewsets


class TenantScopedMixin:
    """Scope `queryset` to the request's tenant, look objects up by public id, create inside the tenant."""

    lookup_field = "public_id"

    def get_queryset(self):
        return super().get_queryset().for_tenant(getattr(self.request, "tenant", None))

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)


class TenantScopedReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve inside the request's tenant."""


class TenantScopedModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    """Full CRUD inside the request's tenant."""


class TenantScopedListRetrieveUpdateViewSet(
    TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve and update (no create or delete) inside the request's tenant."""
