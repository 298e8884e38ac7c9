"""{% freee_web_url "partners" %}: a link to one of freee's web pages (the sandbox's when it is on)."""

from django import template

from integrations.freee import web

register = template.Library()


@register.simple_tag
def freee_web_url(page: str) -> str:
    return web.freee_web_url(page)
