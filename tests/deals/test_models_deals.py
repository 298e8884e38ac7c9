"""Deal labels shown in lists: the same words as get_FOO_display, without its per-call cost."""

import pytest
from django.utils import translation

from deals.models import Deal, FreeeLatestStatus
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("stage", Deal.Stage.values)
def test_stage_label_is_what_get_stage_display_says(world_a, stage):
    deal = DealFactory.build(tenant=world_a.tenant, stage=stage)

    assert deal.stage_label == deal.get_stage_display()


@pytest.mark.parametrize("status", FreeeLatestStatus.values)
def test_latest_status_label_is_what_get_freee_latest_status_display_says(world_a, status):
    deal = DealFactory.build(tenant=world_a.tenant, freee_latest_status=status)

    assert deal.latest_status_label == deal.get_freee_latest_status_display()


def test_labels_follow_the_active_language(world_a):
    deal = DealFactory.build(tenant=world_a.tenant, stage=Deal.Stage.WON)

    with translation.override("ja"):
        assert deal.stage_label == "受注"
    with translation.override("en"):
        assert deal.stage_label == deal.get_stage_display() != "受注"


def test_a_value_that_is_no_choice_is_shown_as_it_is(world_a):
    deal = DealFactory.build(tenant=world_a.tenant, stage="archived", freee_latest_status="unknown")

    assert deal.stage_label == "archived" == deal.get_stage_display()
    assert deal.latest_status_label == "unknown" == deal.get_freee_latest_status_display()
