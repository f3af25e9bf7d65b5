"""Prometheus metrics about queues and workers, read from the database at scrape time.

This module needs ``prometheus_client`` (the ``metrics`` extra). ``views`` imports it
only when a scrape arrives, so projects without the library can still install the app
and mount its URLs.
"""

from collections.abc import Iterable, Iterator

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from django_jobs import stats

QUEUE_LABELS = ["backend", "queue"]
STATUS_LABELS = [*QUEUE_LABELS, "status"]


class JobsCollector(Collector):
    """Builds every metric from a handful of aggregate queries each time it is collected.

    Nothing is counted in process memory: the job table is the one source of truth,
    so every web process answering a scrape reports the same numbers, and the cost of
    a scrape does not grow with the number of jobs, queues or workers.
    """

    def collect(self) -> Iterator[Metric]:
        yield from queue_metrics(stats.queue_stats(timezone.now()))
        yield finished_metric(stats.finished_counts())
        yield worker_metric(stats.worker_counts())


def queue_metrics(queues: Iterable[stats.QueueStats]) -> tuple[Metric, ...]:
    jobs = GaugeMetricFamily(
        "django_jobs_jobs",
        "Unfinished jobs: ready (due now), scheduled (waiting for run_after) and running.",
        labels=STATUS_LABELS,
    )
    oldest = GaugeMetricFamily(
        "django_jobs_oldest_due_job_age_seconds",
        "Seconds the oldest due job has waited past its run_after; 0 when none is due.",
        labels=QUEUE_LABELS,
    )
    paused = GaugeMetricFamily(
        "django_jobs_queue_paused", "1 while the queue is paused, else 0.", labels=QUEUE_LABELS
    )
    for queue in queues:
        key = [queue.backend, queue.queue]
        jobs.add_metric([*key, "ready"], queue.ready)
        jobs.add_metric([*key, "scheduled"], queue.scheduled)
        jobs.add_metric([*key, "running"], queue.running)
        oldest.add_metric(key, queue.oldest_due_age or 0.0)
        paused.add_metric(key, 1 if queue.paused else 0)
    return jobs, oldest, paused


def finished_metric(counts: Iterable[stats.FinishedCount]) -> Metric:
    finished = CounterMetricFamily(
        "django_jobs_jobs_finished",
        "Jobs that finished, per status; pruned history included, so it never goes down.",
        labels=STATUS_LABELS,
    )
    for row in counts:
        finished.add_metric([row.backend, row.queue, row.status.lower()], row.count)
    return finished


def worker_metric(counts: stats.WorkerCounts) -> Metric:
    workers = GaugeMetricFamily(
        "django_jobs_workers",
        "run_jobs processes: live (recent heartbeat) or lost (no heartbeat for a lease).",
        labels=["state"],
    )
    workers.add_metric(["live"], counts.live)
    workers.add_metric(["lost"], counts.lost)
    return workers


def render() -> tuple[bytes, str]:
    """The exposition text of one scrape and its content type.

    A registry of our own per scrape, instead of prometheus_client's global one, keeps
    the web process's own metrics (and whatever else registered there) out of the job
    system's numbers, and needs no cleanup between requests.
    """
    registry = CollectorRegistry()
    registry.register(JobsCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
