"""Real servers for tests, each on a free loopback port, started and stopped by the tests."""
