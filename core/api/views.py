from allauth.mfa.base.forms import BaseAuthenticateForm as AuthenticateForm
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api.errors import error_body
from core.api.permissions import TwoFactorSetupRequired
from core.api.serializers import (
    ApiTokenSerializer,
    IssuedTokenSerializer,
    JobSerializer,
    MeSerializer,
    TokenObtainSerializer,
)
from core.api.viewsets import TenantScopedReadOnlyViewSet
from core.models import ApiToken, Job
from core.tokens import api_token_create, api_token_list_for_user, api_token_revoke
from tenancy.selectors import membership_list_for_user, two_factor_setup_required

WRONG_CREDENTIALS = _("ユーザー名またはパスワードが正しくありません。")
LOCKED_OUT = _("ログインに続けて失敗したため、このアカウントへのログインを一時的に制限しています。%(minutes)s分後に"
               "もう一度お試しください。パスワードが分からない場合は管理者にお問い合わせください。")
MFA_CODE_REQUIRED = _("このユーザーは2段階認証を有効にしています。codeに認証アプリの6桁のコード（またはリカバリーコード）を"
                      "指定してください。")
NOT_A_TOKEN_REQUEST = _("このリクエストはAPIトークンで認証されていないため、取り消すトークンがありません。")


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


class LockedOut(exceptions.APIException):
    """django-axes locked this username out (the login page says the same)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


def _locked_out() -> LockedOut:
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, int(cooloff.total_seconds() // 60)) if cooloff else 0
    error = LockedOut(LOCKED_OUT % {"minutes": minutes})
    error.wait = int(cooloff.total_seconds()) if cooloff else None
    return error


def _check_second_factor(request, user, code: str) -> None:
    """A user with 2FA gets a token only with a valid code (allauth's check: TOTP or an unused recovery code,
    wrong codes limited per user like the 2FA step of the login). A user whose tenant requires 2FA and who has
    none set up gets none at all."""
    if not is_mfa_enabled(user):
        if two_factor_setup_required(user):
            raise TwoFactorSetupRequired()
        return
    if not code.strip():
        raise exceptions.ValidationError({"code": [str(MFA_CODE_REQUIRED)]}, code="mfa_code_required")
    form = AuthenticateForm(data={"code": code.strip()}, user=user)
    if not form.is_valid():
        raise exceptions.ValidationError({"code": [str(e) for e in form.errors.get("code", [])]})
    form.authenticator.record_usage()


class ObtainTokenView(APIView):
    """POST: exchange a username and password for a new API token (throttled; failures count towards the
    django-axes lockout, and a locked-out user is told so). DELETE: revoke the token this request used."""

    throttle_scope = "token"

    def get_permissions(self):
        if getattr(self.request, "method", "POST") == "DELETE":
            return super().get_permissions()  # revoking: a member, with the token being revoked
        return [AllowAny()]  # POST is the login itself; other methods answer 405

    def get_throttles(self):
        return [ScopedRateThrottle()] if getattr(self.request, "method", "POST") == "POST" else []

    @extend_schema(request=TokenObtainSerializer, responses={
        200: IssuedTokenSerializer,
        400: OpenApiResponse(description="入力の誤り、ユーザー名・パスワードが正しくない、または2段階認証のコードがない・"
                                         "正しくない"),
        403: OpenApiResponse(description="所属する事業所が2段階認証を必須にしているが未設定（code: mfa_required）"),
        429: OpenApiResponse(description="リクエストが多すぎる、またはログイン失敗が続いたため一時的にロック中"
                                         "（code: locked_out）")})
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        django_request = request._request  # django-axes marks the request it was given as locked out
        user = authenticate(request=django_request, username=data["username"], password=data["password"])
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                # answered here in the API's error format; AxesMiddleware would swap in the login page's HTML
                django_request.axes_locked_out = False
                raise _locked_out()
            raise exceptions.ValidationError({"non_field_errors": [str(WRONG_CREDENTIALS)]})
        _check_second_factor(django_request, user, data["code"])
        token, key = api_token_create(user=user, name=data["name"], expires_at=data["expires_at"])
        token.token = key
        return Response(IssuedTokenSerializer(token, context={"request": request}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            return Response(error_body("invalid", str(NOT_A_TOKEN_REQUEST)), status=status.HTTP_400_BAD_REQUEST)
        api_token_revoke(user=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenListView(generics.ListAPIView):
    """The request user's API tokens (never their keys), newest first."""

    serializer_class = ApiTokenSerializer
    filter_backends: list = []

    def get_queryset(self):
        return api_token_list_for_user(user=self.request.user)


class ApiTokenDetailView(generics.RetrieveDestroyAPIView):
    """One of the request user's tokens; DELETE revokes it at once. Another user's token is a 404."""

    serializer_class = ApiTokenSerializer
    lookup_field = "public_id"
    queryset = ApiToken.objects.all()  # narrowed to the user's own in get_queryset

    def get_queryset(self):
        return api_token_list_for_user(user=self.request.user)

    def perform_destroy(self, instance):
        api_token_revoke(user=self.request.user, token=instance)
