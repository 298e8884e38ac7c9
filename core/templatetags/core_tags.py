from django import template

from core.audit import action_label

register = template.Library()


@register.filter
def audit_action_label(code: str) -> str:
    """The Japanese (or translated) label of an audit action code."""
    return action_label(code)
