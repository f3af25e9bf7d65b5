"""One small driver module per system in the side-by-side benchmark (``bench/side_by_side.py``).

Our own modes run in the project's virtualenv; peers run in ``bench/.peers-venv``, so
their dependencies (and Django version) never mix with ours.
"""
