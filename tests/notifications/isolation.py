"""Tenant B's objects for every object route of the notifications app and its LINE WORKS sandbox pages."""

from core import events
from integrations.sandbox.lineworks import sandbox_lineworks_domain_create
from notifications.models import Delivery
from tests.notifications.factories import SECRET_LINK_NAME, make_link

SECRET_DOMAIN_NAME = "他テナントの秘密ドメイン"


def _link(world):
    return make_link(world.tenant, domain_id="49999999", name=SECRET_LINK_NAME)


def _delivery(world):
    event = events.emit(tenant=world.tenant, kind=events.INVOICE_ISSUED, recipients=[world.admin],
                        key="secret", payload={"title": "他テナントの秘密通知", "text": "", "url": "/"})
    return Delivery.objects.create(tenant=world.tenant, event=event, recipient=world.admin,
                                   status=Delivery.Status.DEAD, last_error="他テナントの秘密通知")


def _domain(world):
    return sandbox_lineworks_domain_create(tenant=world.tenant, name=SECRET_DOMAIN_NAME, users=1)


OBJECT_FACTORIES = {
    "notifications:link_update": (_link, SECRET_LINK_NAME),
    "notifications:link_test": (_link, SECRET_LINK_NAME),
    "notifications:link_delete": (_link, SECRET_LINK_NAME),
    "notifications:delivery_retry": (_delivery, "他テナントの秘密通知"),
    "sandbox:console-lineworks-domain": (_domain, SECRET_DOMAIN_NAME),
    "sandbox:console-lineworks-inbox": (lambda world: _domain(world).users.first(), SECRET_DOMAIN_NAME),
}

ADMIN_ONLY = {"notifications:link_update", "notifications:link_test", "notifications:link_delete",
              "notifications:delivery_retry"}
