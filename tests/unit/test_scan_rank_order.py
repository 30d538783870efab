"""The scan's last stage on its own: would-be candidates of every region checked in the order the plan's
cap ranks them, batch after batch, until the plan is full (cleaner.scan.check_in_rank_order)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.inventory import Function, FunctionVersion, VersionKey
from cleaner.planner import plan_pricing, version_rank
from cleaner.scan import batch_size, check_in_rank_order

from .factories import NOW, function
from .factories import settings as scan_settings


class StubRegion:
    """What check_in_rank_order needs of a RegionScan: its survivors, their check, and what it kept."""

    def __init__(self, region: str, functions: list[Function], kept: set[VersionKey]) -> None:
        self.region = region
        self.functions = functions
        self.kept = kept  # the versions the state/policy check will keep
        self.checked: list[list[VersionKey]] = []  # each call's versions, in the order passed
        self._lock = threading.Lock()

    def survivors(self) -> list[tuple[Function, FunctionVersion]]:
        return [(f, v) for f in self.functions for v in f.versions]

    def qualifies(self, function: Function, version: FunctionVersion) -> bool:
        return version.key not in self.kept

    def check_last_stage(self, pairs: list[tuple[Function, FunctionVersion]]) -> None:
        with self._lock:
            self.checked.append([v.key for _, v in pairs])

    def all_checked(self) -> list[VersionKey]:
        return [key for call in self.checked for key in call]


PRICING = plan_pricing(["us-east-1", "eu-west-1"], scan_settings(regions=["us-east-1", "eu-west-1"]))


def _rank(regions: list[StubRegion]) -> list[VersionKey]:
    pairs = [(v, v.key) for r in regions for _, v in r.survivors()]
    return [key for v, key in sorted(pairs, key=lambda p: version_rank(p[0], PRICING, NOW))]


def _run(regions: list[StubRegion], cap: int, max_concurrent: int = 4) -> list[VersionKey]:
    said: list[str] = []
    stubs: list[Any] = regions
    return check_in_rank_order(stubs, PRICING, NOW, cap, max_concurrent, said.append)


def _account(functions: int = 40, versions: int = 10, seed: int = 0) -> list[StubRegion]:
    rng = random.Random(seed)
    regions = []
    for region in ("us-east-1", "eu-west-1"):
        made = [
            function(
                f"fn{index}",
                [rng.randint(15, 400) for _ in range(versions)],
                region=region,
                memory_mb=rng.choice((128, 512, 1024, 2048, 3008)),
                runtime=rng.choice(("python3.12", "dotnet8", "java21")),
            )
            for index in range(functions // 2)
        ]
        regions.append(StubRegion(region, made, set()))
    return regions


def test_a_batch_is_what_the_plan_misses_plus_a_tenth_at_least_five() -> None:
    assert [batch_size(n) for n in (1, 10, 50, 51, 500)] == [6, 15, 55, 57, 550]


def test_checks_run_in_rank_order_and_stop_once_the_plan_is_full() -> None:
    regions = _account()
    ranked = _rank(regions)

    unchecked = _run(regions, cap=100)

    checked = {key for r in regions for key in r.all_checked()}
    assert len(checked) == batch_size(100) == 110
    assert checked == set(ranked[:110])  # exactly the top of the ranking
    assert unchecked == ranked[110:]


def test_each_region_checks_its_part_of_a_batch_in_its_own_inventory_order() -> None:
    regions = _account()

    _run(regions, cap=60)

    for region in regions:
        order = [v.key for _, v in region.survivors()]
        for call in region.checked:
            assert call == sorted(call, key=order.index)
            assert {key.region for key in call} == {region.region}


def test_versions_the_checks_keep_are_replaced_in_further_batches() -> None:
    regions = _account()
    ranked = _rank(regions)
    top = set(ranked[:30])
    for region in regions:  # the checks keep every other version of the top 30
        region.kept = {key for key in top if key.region == region.region and ranked.index(key) % 2 == 0}

    unchecked = _run(regions, cap=20)

    checked = [key for r in regions for key in r.all_checked()]
    assert len(checked) == len(set(checked))  # nothing checked twice
    # Batch 1: ranks 0-24 (20 + 5), the 13 even ones kept, 12 qualify; batch 2: the 8 missing + 5,
    # ranks 25-37, 26 and 28 kept, 11 qualify: 23 >= 20, full.
    assert len(checked) == 25 + 13
    assert set(checked) == set(ranked[:38]) and unchecked == ranked[38:]
    kept = {key for r in regions for key in r.kept}
    assert len([key for key in checked if key not in kept]) == 12 + 11


def test_a_cap_above_every_candidate_checks_them_all_in_one_batch() -> None:
    regions = _account(functions=6, versions=4)

    assert _run(regions, cap=500) == []

    assert all(len(r.checked) == 1 for r in regions)
    assert sum(len(r.all_checked()) for r in regions) == 24


def test_regions_of_a_batch_are_checked_at_once() -> None:
    barrier = threading.Barrier(2, timeout=30)

    class Waiting(StubRegion):
        def check_last_stage(self, pairs: list[tuple[Function, FunctionVersion]]) -> None:
            barrier.wait()  # passes only when both regions are checking at the same time
            super().check_last_stage(pairs)

    regions = [Waiting(r.region, r.functions, set()) for r in _account(functions=4, versions=4)]

    _run(regions, cap=500, max_concurrent=2)

    assert all(r.checked for r in regions)


def test_an_error_in_a_region_is_not_swallowed() -> None:
    class Broken(StubRegion):
        def check_last_stage(self, pairs: list[tuple[Function, FunctionVersion]]) -> None:
            raise RuntimeError(f"bug in {self.region}")

    regions = [Broken(r.region, r.functions, set()) for r in _account(functions=4, versions=4)]

    with pytest.raises(RuntimeError, match="bug in"):
        _run(regions, cap=500)


@settings(max_examples=60, deadline=None)
@given(
    cap=st.integers(min_value=1, max_value=120),
    kept_share=st.sampled_from([0.0, 0.02, 0.05, 0.3, 0.9, 1.0]),
    seed=st.integers(min_value=0, max_value=10**6),
)
def test_the_checked_are_a_prefix_of_the_ranking_holding_the_cap_best_that_qualify(
    cap: int, kept_share: float, seed: int
) -> None:
    regions = _account(functions=30, versions=6, seed=seed)
    rng = random.Random(seed)
    for region in regions:
        region.kept = {v.key for _, v in region.survivors() if rng.random() < kept_share}
    kept = {key for r in regions for key in r.kept}
    ranked = _rank(regions)
    best = [key for key in ranked if key not in kept][:cap]

    unchecked = _run(regions, cap=cap)

    checked = [key for r in regions for key in r.all_checked()]
    assert sorted(checked) == sorted(ranked[: len(ranked) - len(unchecked)])
    assert unchecked == ranked[len(checked) :]
    assert set(best) <= set(checked)  # so the capped plan is the plan of checking everything
    if kept_share <= 0.05 and len(ranked) >= batch_size(cap):
        # Few kept: one batch, or a second small one; within about 1.2 x the cap.
        assert len(checked) <= max(cap * 1.2, cap + 2 * 5) + 1


def test_versions_a_batch_finds_kept_leave_the_ranking_before_the_next_batch() -> None:
    class AliasedSiblings(StubRegion):
        """Like the real ledger: what a check keeps is no longer a survivor. Checking a version of a
        function lists its aliases, which here keep its even-numbered versions and every version not
        in the batch."""

        def survivors(self) -> list[tuple[Function, FunctionVersion]]:
            return [(f, v) for f, v in super().survivors() if v.key not in self.kept]

        def check_last_stage(self, pairs: list[tuple[Function, FunctionVersion]]) -> None:
            super().check_last_stage(pairs)
            for owner, _ in pairs:
                self.kept |= {v.key for v in owner.versions if v.key not in self.done or v.version % 2 == 0}

        @property
        def done(self) -> set[VersionKey]:
            return set(self.all_checked())

    regions: list[StubRegion] = [AliasedSiblings(r.region, r.functions, set()) for r in _account()]

    unchecked = _run(regions, cap=30)

    checked = [key for r in regions for key in r.all_checked()]
    kept = {key for r in regions for key in r.kept}
    assert len(checked) == len(set(checked))
    assert not set(unchecked) & kept  # a version found kept is not "left unchecked"
    assert len([key for key in checked if key not in kept]) >= 30
    # Once a batch touched a function, its other versions were kept: no later batch checks them.
    for region in regions:
        batch_of: dict[str, set[int]] = {}
        for number, call in enumerate(region.checked):
            for key in call:
                batch_of.setdefault(key.function_name, set()).add(number)
        assert all(len(batches) == 1 for batches in batch_of.values()), batch_of
    assert max(len(r.checked) for r in regions) >= 2  # the property was put to the test
