from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """DRF's ?ordering= with an id tiebreak, so pages never skip or repeat rows with equal values."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(f.lstrip("-") in {"id", "pk"} for f in ordering):
            ordering = [*ordering, "-id" if ordering[0].startswith("-") else "id"]
        return ordering
