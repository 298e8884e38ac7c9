"""Prometheus metrics for operators (GET /metrics with the METRICS_TOKEN bearer token).

- hub_queue_depth{queue}: messages waiting in each Celery queue (the broker's Redis lists);
- hub_queue_oldest_message_age_seconds{queue}: how long the oldest waiting message has waited (every message
  carries the time it was published, stamped by `stamp_published_at` below);
- hub_bulk_slots_running{tenant}: bulk slots each tenant holds right now (core.fair);
- hub_jobs{status}: unfinished jobs, queued / running / waiting for their turn (順番待ち).

Read at scrape time from Redis and PostgreSQL, so every web process answers the same numbers.
"""

from __future__ import annotations

import json
import time

from celery.signals import before_task_publish
from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry

from core import fair, queues

PUBLISHED_AT = "published_at"
PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport keeps priorities 3/6/9 in "<queue>\x06\x16<n>" lists
PRIORITY_STEPS = ("", *(f"{PRIORITY_SEPARATOR}{step}" for step in (3, 6, 9)))


@before_task_publish.connect(dispatch_uid="core.metrics.stamp_published_at")
def stamp_published_at(sender=None, headers=None, **kwargs) -> None:
    """Every message says when it was published, so the oldest waiting message's age can be read."""
    if headers is not None:
        headers.setdefault(PUBLISHED_AT, time.time())


def _broker():
    from config.celery import app

    return app.connection_for_read().default_channel.client


def queue_depth_and_age(client, queue: str, *, now: float) -> tuple[int, float]:
    """(messages waiting, seconds the oldest one has waited) of one queue; kombu LPUSHes and BRPOPs, so the
    oldest message of each priority list is its last element."""
    depth, age = 0, 0.0
    for suffix in PRIORITY_STEPS:
        key = queue + suffix
        depth += client.llen(key)
        oldest = client.lindex(key, -1)
        if oldest:
            published = json.loads(oldest).get("headers", {}).get(PUBLISHED_AT)
            if published:
                age = max(age, now - float(published))
    return depth, age


class HubCollector:
    def collect(self):
        now = time.time()
        client = _broker()
        depth = GaugeMetricFamily("hub_queue_depth", "Messages waiting in the Celery queue.", labels=["queue"])
        age = GaugeMetricFamily("hub_queue_oldest_message_age_seconds",
                                "Seconds the oldest waiting message of the queue has waited.", labels=["queue"])
        for queue in (queues.INTERACTIVE, queues.BULK, queues.DEFAULT):
            count, oldest = queue_depth_and_age(client, queue, now=now)
            depth.add_metric([queue], count)
            age.add_metric([queue], oldest)
        slots = GaugeMetricFamily("hub_bulk_slots_running", "Bulk slots the tenant holds now (core.fair).",
                                  labels=["tenant"])
        for tenant_id, held in sorted(fair.slots_running(now=now).items()):
            slots.add_metric([str(tenant_id)], held)
        yield from (depth, age, slots, self._jobs())

    def _jobs(self):
        from core.models import Job

        counts = Job.objects.exclude(status__in=Job.FINISHED).aggregate(
            queued=Count("pk", filter=Q(status=Job.Status.QUEUED)),
            running=Count("pk", filter=Q(status=Job.Status.RUNNING, waiting_since__isnull=True)),
            waiting=Count("pk", filter=Q(status=Job.Status.RUNNING, waiting_since__isnull=False)))
        jobs = GaugeMetricFamily("hub_jobs", "Unfinished jobs by state (waiting: between slices, 順番待ち).",
                                 labels=["status"])
        for status, count in counts.items():
            jobs.add_metric([status], count)
        return jobs


def registry() -> CollectorRegistry:
    """A registry of our collector only (no process metrics: they would describe one web process)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(HubCollector())
    return reg
