"""Redirect back to where a form came from (`next`), but only within this site."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_to_next(request, default: str):
    """The form's `next` when it is a path on this host, else `default` (a URL name or path): no open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())
    return redirect(target if safe else default)
