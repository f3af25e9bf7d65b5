"""Start Django for a peer row on ``bench.peers.settings``, with a migrated database."""

import os


def setup_django(**environ: str) -> None:
    """Set the row's environment (inherited by its workers), then set up and migrate."""
    os.environ.update(environ)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peers.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
