"""Throughput and failures per hour as inline SVG, drawn on the server.

No JavaScript and no CDN: the dashboard must work in locked-down admin
deployments, so the chart is a few rectangles computed here. Each bar stacks
the hour's failures (red) on its successes (green); its ``<title>`` gives the
exact numbers on hover and to screen readers.
"""

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from django_jobs.stats import HourOutcomes

WIDTH, HEIGHT, AXIS = 720, 160, 18
SUCCEEDED, FAILED = "#3a8a4f", "#ba2121"


def _clock(bucket: HourOutcomes) -> str:
    return f"{timezone.localtime(bucket.hour):%H:%M}"


def hourly_chart(buckets: list[HourOutcomes]) -> SafeString:
    """An SVG bar chart of ``buckets`` (oldest first), scaled to the busiest hour."""
    busiest = max((b.succeeded + b.failed for b in buckets), default=0)
    peak = busiest or 1  # the scale; an empty day draws no bars
    slot = WIDTH / max(len(buckets), 1)
    plot = HEIGHT - AXIS
    bars = []
    for index, bucket in enumerate(buckets):
        x = index * slot + 1
        ok_height = plot * bucket.succeeded / peak
        failed_height = plot * bucket.failed / peak
        label = f"{_clock(bucket)}: {bucket.succeeded} succeeded, {bucket.failed} failed"
        bars.append(
            (
                label,
                f"{x:.1f}",
                f"{plot - ok_height:.1f}",
                f"{slot - 2:.1f}",
                f"{ok_height:.1f}",
                SUCCEEDED,
                f"{x:.1f}",
                f"{plot - ok_height - failed_height:.1f}",
                f"{slot - 2:.1f}",
                f"{failed_height:.1f}",
                FAILED,
            )
        )
    rects = format_html_join(
        "",
        '<g class="bar"><title>{}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/></g>',
        bars,
    )
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" fill="currentColor">{}</text>',
        (
            (f"{index * slot + 1:.1f}", HEIGHT - 4, _clock(bucket))
            for index, bucket in enumerate(buckets)
            if index % 4 == 0
        ),
    )
    return format_html(
        '<svg class="jobs-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'aria-label="Jobs finished per hour over the last {} hours, peak {}">'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-width="0.5"/>'
        '<text x="{}" y="10" font-size="10" text-anchor="end" fill="currentColor">{}</text>'
        "{}{}</svg>",
        WIDTH,
        HEIGHT,
        len(buckets),
        busiest,
        plot,
        WIDTH,
        plot,
        WIDTH - 2,
        f"peak {busiest}/h",
        rects,
        ticks,
    )
