"""Home, health check, metrics, job progress and the error pages (Japanese pages; the error body under /api/)."""

import hmac
from datetime import date

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import input_guard
from core.api.errors import error_body, json_error
from core.audit import ACTIONS
from core.models import AuditEntry, Job
from tenancy.access import admin_required, get_tenant_object_or_404, member_required

API_PREFIX = "/api/"


@member_required
def home(request):
    return redirect("deals:list")


@never_cache
@require_GET
def healthz(request):
    """Liveness and database reachability, for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics (core.metrics) for operators: bearer METRICS_TOKEN; without one configured, 404."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from core.metrics import registry

    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


@member_required
def job_list(request):
    jobs = Job.objects.for_tenant(request.tenant).select_related("actor")[:50]
    return render(request, "core/job_list.html", {"jobs": jobs})


@member_required
@never_cache
def job_progress(request, public_id):
    """The progress-bar partial; htmx polls it until the job has finished."""
    job = get_tenant_object_or_404(Job, request, public_id=public_id)
    return render(request, "core/_job_progress.html", {"job": job})


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@admin_required
def audit_list(request):
    """監査ログ (admins): append-only entries, newest first, filtered by action, actor, period and target."""
    entries = AuditEntry.objects.for_tenant(request.tenant).order_by("-created_at", "-id")
    action, actor, target = (request.GET.get(k, "").strip() for k in ("action", "actor", "target"))
    since, until = _parse_date(request.GET.get("since", "")), _parse_date(request.GET.get("until", ""))
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    if target:
        entries = entries.filter(target_label__icontains=target)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page_obj": page, "entries": page.object_list, "query": query.urlencode(), "actions": ACTIONS,
               "filters": {"action": action, "actor": actor, "target": target, "since": since, "until": until}}
    return render(request, "core/audit_list.html", context)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception=None):
    if _is_api(request) and isinstance(exception, RequestDataTooBig):
        return json_error("too_large", 400, input_guard.too_large().message)
    if _is_api(request):
        return json_error("parse_error", 400)
    return render(request, "errors/400.html", status=400)


def bad_input(request, error):
    """A refusal of core.input_guard (core.middleware.BadInputMiddleware): what was wrong, and where."""
    field = error.field if error.field and not error.field.startswith("_") else None
    if _is_api(request):
        return JsonResponse(error_body("invalid", error.message, {field or "non_field": [error.message]}),
                            status=400, json_dumps_params={"ensure_ascii": False})
    return render(request, "errors/400.html", {"message": error.message, "field": field}, status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return json_error("permission_denied", 403)
    message = str(exception) if exception and str(exception) else _("この操作を行う権限がありません。")
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return json_error("not_found", 404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    """Rendered without the request context: the database (read by context processors) may be what failed."""
    if _is_api(request):
        return json_error("server_error", 500)
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error("csrf_failed", 403)
    return render(request, "errors/403_csrf.html", status=403)
