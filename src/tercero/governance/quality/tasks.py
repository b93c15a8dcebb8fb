"""Background work of quality assurance."""

from django.tasks import task

from tercero.governance.quality import sampler


@task
def top_up_samples() -> int:
    """Bring every agent to their rule's weekly minimum and monthly precision target
    (scheduled hourly). Safe with several workers: an item is sampled once."""
    return sampler.top_up_all()
