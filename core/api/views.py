from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api.serializers import JobSerializer, MeSerializer
from core.api.viewsets import TenantScopedReadOnlyViewSet
from core.models import Job
from tenancy.selectors import membership_list_for_user


class MeView(APIView):
    """The logged-in user, the tenant this request acts on, and every tenant they belong to."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        context = {"request": request, "memberships": membership_list_for_user(user=request.user)}
        return Response(MeSerializer(request.user, context=context).data)


class JobViewSet(TenantScopedReadOnlyViewSet):
    """Long operations of the tenant and their progress."""

    queryset = Job.objects.select_related("actor")
    serializer_class = JobSerializer
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at", "finished_at"]


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (throttled; failures count towards lockout)."""

    permission_classes = [AllowAny]
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # ObtainAuthToken's own are DRF's unbounded ones
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
