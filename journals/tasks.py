"""Thin Celery wrappers of the ledger (the sync tasks live in journals/sync/)."""

from celery import shared_task

from journals import freee_import


@shared_task(name="journals.masters_import")
def masters_import_task(job_id: int) -> None:
    """Import account items, tax codes and wallets from freee for the job's tenant (claimed once)."""
    freee_import.masters_import(job_id=job_id)
