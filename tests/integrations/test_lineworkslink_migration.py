"""LineWorksLink moved from notifications to integrations in state only (issue 13): a link stored before the move,
and the employee links, link requests and callbacks pointing at it, are the same rows afterwards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0002_delivery_unknown_outcome"), ("integrations", "0001_initial")]
AFTER = [("notifications", "0003_lineworkslink_moves_to_integrations"), ("integrations", "0002_lineworkslink")]


def _migrate(targets) -> object:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Later migrations exist: leave the database as every other test expects it."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_link_stored_before_the_move_is_the_same_row_after_it(world_a, back_to_latest):
    old = _migrate(BEFORE)
    link = old.get_model("notifications", "LineWorksLink").objects.create(
        tenant_id=world_a.tenant.pk, domain_id="40000001", client_id="cid", client_secret="client-secret",
        service_account="sa", private_key="key", bot_id="2000001", bot_secret="bot-secret")
    old.get_model("notifications", "LineWorksUserLink").objects.create(
        tenant_id=world_a.tenant.pk, link_id=link.pk, user_id=world_a.member.pk, lineworks_user_id="lw-1")

    new = _migrate(AFTER)
    moved = new.get_model("integrations", "LineWorksLink").objects.get(pk=link.pk)
    assert (moved.domain_id, moved.bot_id, moved.client_secret, moved.bot_secret) == (
        "40000001", "2000001", "client-secret", "bot-secret")
    user_link = new.get_model("notifications", "LineWorksUserLink").objects.get(link_id=link.pk)
    assert user_link.link.pk == moved.pk and user_link.lineworks_user_id == "lw-1"
    assert new.get_model("integrations", "LineWorksLink")._meta.db_table == "notifications_lineworkslink"
