"""Long, quota-bound stages report how far they got, at most every interval, from worker threads."""

from __future__ import annotations

from cleaner.aws.concurrency import ProgressTicker, run_concurrently


def test_progress_is_reported_once_per_interval_and_not_for_the_last_item() -> None:
    now = [0.0]
    said: list[str] = []
    ticker = ProgressTicker("checked", 5, said.append, interval=10.0, clock=lambda: now[0])

    for step in (1.0, 11.0, 12.0, 25.0, 40.0):
        now[0] = step
        ticker.tick()

    # 11 s: the first report; 12 s: too soon; 25 s: the next; 40 s: the last item (the stage reports it).
    assert said == ["checked: 2/5", "checked: 4/5"]


def test_run_concurrently_ticks_for_every_item_including_failures() -> None:
    from botocore.exceptions import ClientError

    ticker = ProgressTicker("x", 4, lambda _: None, interval=1e9)

    def work(item: int) -> int:
        if item == 2:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetPolicy")
        return item * 10

    results = run_concurrently(work, [1, 2, 3, 4], max_workers=3, ticker=ticker)

    assert results[0] == 10 and isinstance(results[1], ClientError) and results[2:] == [30, 40]
    assert ticker.done == 4
