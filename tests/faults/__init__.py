"""Fault drills: real worker processes, real servers, and faults injected while jobs run.

Scenarios proven here (see docs/faults.md for the full map):

- repeated SIGKILL of random busy workers while 5,000 jobs drain (``test_kills``);
- SIGTERM under load: a graceful stop leaves nothing RUNNING (``test_signals``);
- PostgreSQL restarted under draining workers (``test_servers``, PostgreSQL run only);
- Redis stopped mid-consumption and started again, empty (``test_servers``, huey mode);
- fencing: a frozen worker's late result never overwrites the rescued run's (``test_fencing``);
- ``unique_key`` under concurrent enqueue from many threads (``test_unique``).

Scenarios that existing tests already prove, not repeated here:

- one SIGKILL mid-job, rescued after the lease: ``tests/worker/test_processes.py``
  ``test_sigkill_mid_job_loses_nothing`` and ``tests/worker/test_huey_processes.py``
  ``test_sigkill_mid_job_completes_after_lease_expiry``;
- no double claims without crashes:
  ``test_four_processes_of_four_threads_run_each_job_exactly_once``,
  ``test_ten_thousand_jobs_over_two_workers_run_once_each`` and
  ``tests/store/test_leases.py`` ``test_threads_competing_for_jobs_never_claim_one_twice``;
- grace expiry and a second signal hand jobs back: ``test_grace_expiry_hands_the_job_back``,
  ``test_second_signal_hands_back_at_once_and_exits_nonzero``,
  ``test_sigterm_drains_and_second_signal_hands_back``;
- an idle worker outlives a PostgreSQL restart: ``tests/worker/test_resilience.py``
  ``test_worker_survives_a_database_restart``;
- Redis down at enqueue, and restarted under an idle worker:
  ``test_jobs_enqueued_while_redis_is_down_all_run_once``,
  ``test_lost_messages_are_republished_and_the_worker_survives_redis_restart``;
- the store-level fence on a late result: ``tests/store/test_leases.py``
  ``test_expired_lease_is_rescued_and_the_late_result_is_fenced_out``;
- one key, eight threads, one job: ``tests/store/test_unique.py``
  ``test_concurrent_enqueues_with_one_key_store_one_job``.
"""
