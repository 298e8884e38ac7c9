"""integrations/0003: stored LINE WORKS domain ids become LINE WORKS's int64. "040000001" and full-width digits
are normalised; a second link of the same domain (the bug of issue 14, item 17) is stopped, not deleted, and
its admins are told why on the link; the first link keeps the domain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

# notifications stays at 0003: its later migrations add columns the historical models here do not know.
BEFORE = [("integrations", "0002_lineworkslink"), ("notifications", "0003_lineworkslink_moves_to_integrations")]
AFTER = [
    ("integrations", "0003_lineworkslink_domain_id_integer"),
    ("notifications", "0003_lineworkslink_moves_to_integrations"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _link(apps, tenant, domain_id: str, *, bot_id: str, minutes_ago: int):
    model = apps.get_model("integrations", "LineWorksLink")
    link = model.objects.create(
        tenant_id=tenant.pk,
        domain_id=domain_id,
        client_id="cid",
        client_secret="secret",
        service_account="sa",
        private_key="key",
        bot_id=bot_id,
        bot_secret="bot-secret",
        access_token="cached",
    )
    model.objects.filter(pk=link.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return link


def test_domain_ids_are_normalised_and_a_second_link_of_one_domain_is_stopped(world_a, world_b, back_to_latest, capsys):
    old = _migrate(BEFORE)
    first = _link(old, world_a.tenant, "40000001", bot_id="2000001", minutes_ago=30)
    second = _link(old, world_b.tenant, "040000001", bot_id="2000002", minutes_ago=10)
    wide = _link(old, world_b.tenant, " ４００００００２ ", bot_id="2000003", minutes_ago=5)
    junk = _link(old, world_a.tenant, "abc", bot_id="2000004", minutes_ago=1)
    old.get_model("notifications", "LineWorksUserLink").objects.create(
        tenant_id=world_b.tenant.pk, link_id=second.pk, user_id=world_b.member.pk, lineworks_user_id="lw-1"
    )

    new = _migrate(AFTER)
    links = {link.pk: link for link in new.get_model("integrations", "LineWorksLink").objects.all()}
    assert links[first.pk].domain_id == 40000001 and links[first.pk].last_error == ""
    assert links[wide.pk].domain_id == 40000002
    stopped = links[second.pk]
    assert stopped.domain_id is None and stopped.access_token == ""
    assert "ドメインID 40000001 は事業所「テナントA株式会社」が先に連携しています" in stopped.last_error
    assert links[junk.pk].domain_id is None and "「abc」は数字ではありません" in links[junk.pk].last_error
    # nothing is deleted: the stopped link keeps its employee links for when an admin fixes it
    assert new.get_model("notifications", "LineWorksUserLink").objects.filter(link_id=second.pk).exists()
    assert f"link {second.pk} (tenant {world_b.tenant.pk}) stopped; link {first.pk}" in capsys.readouterr().out


def test_the_migration_reverses(world_a, back_to_latest):
    _migrate(AFTER)
    new = _migrate(AFTER)
    model = new.get_model("integrations", "LineWorksLink")
    kept = model.objects.create(
        tenant_id=world_a.tenant.pk,
        domain_id=40000001,
        client_id="c",
        client_secret="s",
        service_account="sa",
        private_key="k",
        bot_id="1",
        bot_secret="b",
    )
    stopped = model.objects.create(
        tenant_id=world_a.tenant.pk,
        domain_id=None,
        client_id="c",
        client_secret="s",
        service_account="sa",
        private_key="k",
        bot_id="2",
        bot_secret="b",
    )
    old = _migrate(BEFORE)
    rows = dict(old.get_model("integrations", "LineWorksLink").objects.values_list("pk", "domain_id"))
    assert rows == {kept.pk: "40000001", stopped.pk: f"stopped-{stopped.pk}"}
