import pytest

from tests.faults.harness import Drill


@pytest.fixture(params=["database"])
def drill(request, tmp_path):
    """A drill in database mode; ``parametrize("drill", ["database", "huey"], indirect=True)``
    runs the test in both modes (huey on this session's Redis, flushed)."""
    redis_url = None
    if request.param == "huey":
        redis_url = request.getfixturevalue("huey_settings").url
    drill = Drill(tmp_path / "ledger", redis_url=redis_url)
    yield drill
    drill.close()
