"""One scenario through the real product, checked against the oracle; and the minimiser.

The loop, as a user runs it: build the account -> `scan` (scan settings: its regions at once, maybe
faults in each) -> the reviewer's edit, with `render` and `validate --against` the original (an
attempted addition must be rejected) -> drift -> `apply` (the repository's settings, maybe faults in
each region) -> `apply` again. Every command is the real CLI, in-process (`cleaner.cli.program`), against
moto. A version is (region, function, version), as a plan entry names it.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import boto3

from cleaner.cli import Environment, program
from tests.campaign.model import REGION_A, SCAN_NOW, Edit, Faults, ScanFlags, Scenario, SettingsSpec
from tests.campaign.oracle import LAST_CHECKS, Rules, monthly_savings, plan_cap, protections, rules
from tests.campaign.world import Clients, FaultInjector, World

PLAN_ID = "p1"
# AWS's us-east-1 cache rate (README "Settings"): a scenario prices its second region as a multiple.
US_EAST_1_RATE = 0.0000015046

Key = tuple[str, str, str]  # (region, function, version), as a plan entry names a version


def _key(entry: dict[str, Any]) -> Key:
    return entry["region"], entry["function_name"], entry["version"]


def _show(key: Key) -> str:
    return f"{key[0]}/{key[1]}:{key[2]}"


@dataclass
class Report:
    seed: int
    violations: list[str] = field(default_factory=list)
    regions: int = 0  # regions the account has functions in
    faults_injected: int = 0
    fault_regions: int = 0  # regions faults were injected in (scan and apply)
    drifted: bool = False
    scan_exit: int | None = None
    apply_exit: int | None = None
    proposals: int = 0
    unsafe_proposals: int = 0
    unsafe_deletions: int = 0
    deleted: int = 0
    # Scenarios with no drift and no fault: planned versions the oracle finds safe at apply, and how
    # many of them apply deleted.
    clean: bool = False
    tampered: bool = False  # the reviewer tried a change validate must reject
    refused: bool = False  # a stale or oversized plan, refused by apply
    dry_run: bool = False
    safe_planned: int = 0
    safe_deleted: int = 0
    # Scans whose plan filled up (max_deletions_per_apply): what they deferred, checked or not.
    plan_full: bool = False
    over_cap: int = 0
    not_checked: int = 0

    def violate(self, message: str) -> None:
        self.violations.append(message)


def _toml_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


def pyproject(settings: SettingsSpec) -> str:
    lines = [
        "[tool.cleaner]",
        f"min_age_days = {settings.min_age_days}",
        f"keep_last_n = {settings.keep_last_n}",
        f"include = {_toml_list(settings.include)}",
        f"exclude = {_toml_list(settings.exclude)}",
        f"protect_tag = {json.dumps(settings.protect_tag)}",
        f"regions = {_toml_list(settings.regions)}",
        # The highest pacing the settings allow: scenarios are small, the limiter's sleeps are not the
        # subject here (tests/integration/test_ratelimit.py is).
        "control_plane_rps = 15.0",
        "get_policy_rps = 15.0",
        "max_workers = 4",
    ]
    if settings.lookback_days is not None:
        lines.append(f"lookback_days = {settings.lookback_days}")
    if settings.max_deletions_per_apply is not None:
        lines.append(f"max_deletions_per_apply = {settings.max_deletions_per_apply}")
    if settings.max_concurrent_regions is not None:
        lines.append(f"max_concurrent_regions = {settings.max_concurrent_regions}")
    for glob, keep, age in settings.overrides:
        lines += ["", "[[tool.cleaner.overrides]]", f"functions = {json.dumps(glob)}"]
        lines += [f"keep_last_n = {keep}"] if keep is not None else []
        lines += [f"min_age_days = {age}"] if age is not None else []
    if settings.price_factors:
        lines += ["", "[tool.cleaner.cache_prices]"]
        # Factors are powers of two, exact in binary: the oracle's savings rank as the product's costs do.
        for region, factor in settings.price_factors:
            lines.append(f"{json.dumps(region)} = {factor * US_EAST_1_RATE!r}")
    return "\n".join(lines) + "\n"


def scan_argv(flags: ScanFlags) -> list[str]:
    # No --region: the regions are the settings file's (both, most scenarios), scanned at once.
    argv = ["scan", "--plan-id", PLAN_ID]
    for option, value in (
        ("--min-age-days", flags.min_age_days),
        ("--keep-last-n", flags.keep_last_n),
        ("--lookback-days", flags.lookback_days),
    ):
        if value is not None:
            argv += [option, str(value)]
    for glob in flags.include:
        argv += ["--include", glob]
    for glob in flags.exclude:
        argv += ["--exclude", glob]
    return argv


class _NoBackoff:
    """Stands in for the `time` module of botocore.endpoint: retries happen, their sleeps do not."""

    def __init__(self) -> None:
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds


class Campaign:
    """One moto account reset between scenarios, one boto3 session (its loaders warm), one injector."""

    def __init__(self, root: Path) -> None:
        import importlib

        from moto import mock_aws

        from cleaner.demo.moto_shim import install_snapstart_shim

        install_snapstart_shim()
        self.root = root
        self.mock = mock_aws()
        self.mock.start()
        self.session = boto3.Session(region_name=REGION_A)
        self.injector = FaultInjector(self.session)
        self.clients = Clients.of(self.session)
        self.backoff = _NoBackoff()
        self._endpoint: Any = importlib.import_module("botocore.endpoint")
        self._saved_time = self._endpoint.time
        no_backoff: Any = types.SimpleNamespace(sleep=self.backoff.sleep)
        setattr(self._endpoint, "time", no_backoff)  # noqa: B010 (mypy sees the module through Any)
        self.runs = 0

    def close(self) -> None:
        self.injector.close()
        self._endpoint.time = self._saved_time
        self.mock.stop()

    def cli(self, workdir: Path, now: datetime, *argv: str) -> tuple[int, str]:
        out, err = StringIO(), StringIO()
        env = Environment(
            stdout=out,
            stderr=err,
            cwd=workdir,
            environ={},
            clock=lambda: now,
            aws_session=lambda: self.session,
        )
        code = program(list(argv), env)
        return int(code), out.getvalue() + err.getvalue()

    def run(self, scenario: Scenario) -> Report:
        self.runs += 1
        self.mock.reset()
        self.injector.injected.clear()
        self.injector.lost.clear()
        workdir = self.root / f"run{self.runs}-seed{scenario.seed}"
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        try:
            return _Run(self, scenario, workdir).go()
        finally:
            self.injector.activate((), 0)
            shutil.rmtree(workdir, ignore_errors=True)


class _Run:
    def __init__(self, campaign: Campaign, scenario: Scenario, workdir: Path) -> None:
        self.c = campaign
        self.s = scenario
        self.workdir = workdir
        self.report = Report(scenario.seed)
        self.plan_path = workdir / "plans" / PLAN_ID / "plan.json"

    def cli(self, now: datetime, *argv: str) -> tuple[int, str]:
        return self.c.cli(self.workdir, now, *argv)

    def go(self) -> Report:
        s, report = self.s, self.report
        world = World(self.c.clients, SCAN_NOW)
        for spec in s.functions:
            world.create(spec)
        for traffic in s.traffic:
            world.record(traffic, SCAN_NOW)
        report.regions = len(s.regions)

        # --- scan ---
        (self.workdir / "pyproject.toml").write_text(pyproject(s.scan_file))
        scan_rules = rules(s.scan_file, s.scan_flags)
        self.c.injector.activate(s.scan_faults, s.seed)
        code, output = self.cli(SCAN_NOW, *scan_argv(s.scan_flags))
        self.c.injector.activate((), 0)
        report.scan_exit = code
        scan_faults = self.c.injector.total
        report.fault_regions = len(self.c.injector.regions())
        if code != 0:
            report.faults_injected = scan_faults
            if code == 3 and scan_faults:
                return report  # access error that stopped the scan: no plan, nothing to apply
            report.violate(f"scan exited {code}: {output[-2000:]}")
            return report
        plan = json.loads(self.plan_path.read_text())
        self._check_scan(world, plan, scan_rules, faulted=scan_faults > 0)
        planned_uid = {_key(e): world.uid(*_key(e)) for e in plan["delete"]}

        # --- review ---
        merged = self._review(plan)

        # --- drift ---
        apply_now = SCAN_NOW + timedelta(days=s.apply_days_later, hours=1)
        report.drifted = any([world.drift(change, apply_now) for change in s.drift])

        # --- apply ---
        (self.workdir / "pyproject.toml").write_text(pyproject(s.apply_file))
        apply_rules = [scan_rules, rules(s.apply_file)]
        verdicts = {
            v.uid: protections(f, v, apply_rules, world.metrics, apply_now)
            for f in world.functions.values()
            for v in f.versions
        }
        current_uid = {key: world.uid(*key) for key in planned_uid}
        limit = s.apply_file.max_deletions_per_apply
        if s.apply_days_later > 14 or (limit is not None and len(merged) > limit):
            report.refused = True
            self._check_refused(world)
            return report
        if s.dry_run_first:
            report.dry_run = True
            self._check_dry_run(world, merged, planned_uid, current_uid, verdicts, apply_now)
        self.c.injector.activate(s.apply_faults, s.seed + 1)
        code, output = self.cli(apply_now, "apply", str(self.plan_path))
        self.c.injector.activate((), 0)
        report.apply_exit = code
        report.faults_injected = self.c.injector.total
        report.fault_regions = len(self.c.injector.regions())
        apply_faulted = report.faults_injected > scan_faults
        report.clean = report.faults_injected == 0 and not report.drifted
        gone = world.forget_deleted()
        if code == 3:
            # An access error before the first deletion (credentials, account): nothing may be gone.
            denied = any(what == "denied sts:GetCallerIdentity" for _, what in self.c.injector.injected)
            if gone or not denied:
                report.unsafe_deletions += len(gone)
                report.violate(f"apply exited 3, deleted {[v.uid for v in gone]}: {output[-1000:]}")
            return report
        first = self._check_apply(
            merged, planned_uid, current_uid, verdicts, gone, code, output, faulted=apply_faulted
        )

        # --- apply again, without faults: idempotent ---
        verdicts = {
            v.uid: protections(f, v, apply_rules, world.metrics, apply_now)
            for f in world.functions.values()
            for v in f.versions
        }
        code, output = self.cli(apply_now, "apply", str(self.plan_path))
        gone_again = world.forget_deleted()
        self._check_rerun(merged, planned_uid, verdicts, first, gone_again, code, output)
        return report

    # --- scan checks ---------------------------------------------------------------------------------

    def _check_scan(self, world: World, plan: dict[str, Any], scan_rules: Rules, faulted: bool) -> None:
        report = self.report
        # The scan reads the regions its settings list, and no other.
        scanned = [f for f in world.functions.values() if f.region in self.s.scan_file.regions]
        considered = Counter(v.key for f in scanned for v in f.versions if v.snapstart)
        listed = Counter(_key(e) for e in plan["delete"] + plan["keep"])
        if listed != considered:
            report.violate(f"the plan lists {dict(listed)}, the SnapStart versions are {dict(considered)}")
        report.proposals = len(plan["delete"])
        safe = set()
        for function in scanned:
            for version in function.versions:
                reasons = protections(function, version, [scan_rules], world.metrics, SCAN_NOW)
                if not reasons:
                    safe.add(version.key)
        for entry in plan["delete"]:
            key = _key(entry)
            if key not in safe:
                function = world.function(key)
                found = function.version(int(key[2]))
                why = protections(function, found, [scan_rules], world.metrics, SCAN_NOW) if found else "?"

                report.unsafe_proposals += 1
                report.violate(f"UNSAFE PROPOSAL: scan proposes {_show(key)}, the oracle keeps it: {why}")
        incomplete = [e for e in plan["keep"] if "check_incomplete" in e["reasons"]]
        if incomplete and not plan["warnings"]:
            report.violate(f"scan kept {len(incomplete)} version(s) check_incomplete and warned of nothing")
        self._check_cap(world, plan, scan_rules, safe, faulted)

    def _check_cap(
        self, world: World, plan: dict[str, Any], scan_rules: Rules, safe: set[Key], faulted: bool
    ) -> None:
        """At most max_deletions_per_apply proposals, the largest savings; the safe versions left out are
        kept over_deletion_cap (checked: safe) or not_checked_plan_full (only the last checks could keep
        them), and the summary counts the unchecked ones."""
        report = self.report
        cap = self.s.scan_file.max_deletions_per_apply
        unchecked = 0
        deferred = set()
        for entry in plan["keep"]:
            key = _key(entry)
            reasons = entry["reasons"]
            if reasons == ["over_deletion_cap"]:
                deferred.add(key)
                if key not in safe:
                    report.violate(f"{_show(key)} kept over_deletion_cap, the oracle keeps it")
            elif "not_checked_plan_full" in reasons:
                unchecked += 1
                deferred.add(key)
                function = world.function(key)
                found = function.version(int(key[2]))
                why = protections(function, found, [scan_rules], world.metrics, SCAN_NOW) if found else {"?"}
                if reasons != ["not_checked_plan_full"] or not why <= LAST_CHECKS:
                    report.violate(f"{_show(key)} left unchecked {reasons}; the oracle: {why}")
        report.over_cap, report.not_checked = len(deferred) - unchecked, unchecked
        report.plan_full = bool(deferred)
        if plan["summary"].get("not_checked_count", 0) != unchecked:
            report.violate(f"summary not_checked_count {plan['summary']}, {unchecked} entries unchecked")
        if faulted:
            return
        proposed = {_key(e) for e in plan["delete"]}
        prices = dict(self.s.scan_file.price_factors)
        savings = {key: monthly_savings(world.function(key), prices) for key in safe}
        expected = plan_cap(list(savings.values()), cap)
        got = sorted((savings[key] for key in proposed & safe), reverse=True)
        if not proposed <= safe or got != expected or not safe - proposed <= deferred:
            report.violate(
                f"scan without faults (cap {cap}): proposes {sorted(proposed)}, savings {got}; the oracle"
                f" finds safe {sorted(safe)}, savings {expected}; deferred {sorted(deferred)}"
            )

    # --- review --------------------------------------------------------------------------------------

    def _review(self, plan: dict[str, Any]) -> list[dict[str, Any]]:
        edit = self.s.edit
        original = self.workdir / "original.json"
        shutil.copyfile(self.plan_path, original)
        markdown = self.plan_path.with_name("plan.md")
        original_md = markdown.read_text()
        rng = random.Random(edit.seed)
        if edit.tamper:
            document = json.loads(original.read_text())
            if _tamper(document, edit.tamper, rng):
                self.report.tampered = True
                self.plan_path.write_text(json.dumps(document, indent=2) + "\n")
                self.cli(SCAN_NOW, "render", str(self.plan_path))
                code, output = self.cli(SCAN_NOW, "validate", str(self.plan_path), "--against", str(original))
                if code != 1:
                    self.report.violate(
                        f"validate accepted a {edit.tamper} edit (exit {code}): {output[-1000:]}"
                    )
            shutil.copyfile(original, self.plan_path)
            markdown.write_text(original_md)
        document = json.loads(original.read_text())
        keep = [e for e in document["delete"] if rng.random() >= edit.remove_share]
        if len(keep) != len(document["delete"]):
            document["delete"] = keep
            self.plan_path.write_text(json.dumps(document, indent=2) + "\n")
            code, output = self.cli(SCAN_NOW, "render", str(self.plan_path))
            if code != 0:
                self.report.violate(f"render of a removals-only edit exited {code}: {output[-1000:]}")
        code, output = self.cli(SCAN_NOW, "validate", str(self.plan_path), "--against", str(original))
        if code != 0:
            self.report.violate(f"validate rejected a removals-only edit (exit {code}): {output[-1000:]}")
        merged: list[dict[str, Any]] = json.loads(self.plan_path.read_text())["delete"]
        return merged

    # --- apply checks ---------------------------------------------------------------------------------

    def _check_refused(self, world: World) -> None:
        """A stale plan, or one over max_deletions_per_apply: refused, exit 2, nothing deleted."""
        apply_now = SCAN_NOW + timedelta(days=self.s.apply_days_later, hours=1)
        code, output = self.cli(apply_now, "apply", str(self.plan_path))
        self.report.apply_exit = code
        gone = world.forget_deleted()
        if code != 2 or gone:
            self.report.unsafe_deletions += len(gone)
            self.report.violate(f"apply of a refused plan exited {code}, deleted {gone}: {output[-1000:]}")

    def _check_dry_run(
        self,
        world: World,
        merged: list[dict[str, Any]],
        planned_uid: dict[Key, str | None],
        current_uid: dict[Key, str | None],
        verdicts: dict[str, set[str]],
        now: datetime,
    ) -> None:
        code, output = self.cli(now, "apply", str(self.plan_path), "--dry-run")
        gone = world.forget_deleted()
        if gone:
            self.report.unsafe_deletions += len(gone)
            self.report.violate(f"UNSAFE DELETION (dry run): {[v.uid for v in gone]}")
        results = self._result()
        for entry in merged:
            key = _key(entry)
            now_uid = current_uid[key]
            if now_uid is None:
                expected = "already_deleted"
            elif now_uid != planned_uid[key] or verdicts[now_uid]:
                expected = "skipped"
            else:
                expected = "would_delete"
            outcome = results[key][0]["outcome"] if key in results else None
            if outcome != expected:
                self.report.violate(f"dry run: {_show(key)} ended {outcome}, the oracle expects {expected}")
        if code != 0:
            self.report.violate(f"dry run without faults exited {code}: {output[-1000:]}")

    def _result(self) -> dict[Key, list[dict[str, Any]]]:
        document = json.loads((self.plan_path.parent / "apply-result.json").read_text())
        found: dict[Key, list[dict[str, Any]]] = {}
        for entry in document["entries"]:
            found.setdefault(_key(entry), []).append(entry)
        return found

    def _check_deletions(
        self,
        gone: list[Any],
        planned_uid: dict[Key, str | None],
        merged_keys: set[Key],
        verdicts: dict[str, set[str]],
        results: dict[Key, list[dict[str, Any]]],
        run: str,
    ) -> None:
        report = self.report
        merged_uids = {planned_uid[key] for key in merged_keys}
        gone_keys = set()
        for version in gone:
            gone_keys.add(version.key)
            if version.uid not in merged_uids:
                report.unsafe_deletions += 1
                report.violate(f"UNSAFE DELETION ({run}): {version.uid} is not in the merged plan")
            elif verdicts.get(version.uid):
                report.unsafe_deletions += 1
                report.violate(
                    f"UNSAFE DELETION ({run}): {version.uid}, the oracle keeps it: {verdicts[version.uid]}"
                )
        said = {key for key, entries in results.items() if any(e["outcome"] == "deleted" for e in entries)}
        if said != gone_keys:
            report.violate(f"{run}: apply-result says deleted {sorted(said)}, AWS lost {sorted(gone_keys)}")

    def _check_apply(
        self,
        merged: list[dict[str, Any]],
        planned_uid: dict[Key, str | None],
        current_uid: dict[Key, str | None],
        verdicts: dict[str, set[str]],
        gone: list[Any],
        code: int,
        output: str,
        faulted: bool,
    ) -> dict[Key, str]:
        report = self.report
        merged_keys = {_key(e) for e in merged}
        try:
            results = self._result()
        except FileNotFoundError:
            report.violate(f"apply wrote no result (exit {code}): {output[-2000:]}")
            results = {}
        if Counter({k: len(v) for k, v in results.items()}) != Counter(dict.fromkeys(merged_keys, 1)):
            report.violate(
                f"apply outcomes {sorted(results)} are not one per merged entry {sorted(merged_keys)}"
            )
        self._check_deletions(gone, planned_uid, merged_keys, verdicts, results, "apply")
        report.deleted = len(gone)
        outcomes = {key: entries[0]["outcome"] for key, entries in results.items()}
        failed = any(o == "failed" for o in outcomes.values())
        if code != (1 if failed else 0):
            report.violate(f"apply exited {code} with outcomes {outcomes}: {output[-1500:]}")
        for key, entries in results.items():
            entry = entries[0]
            if entry["outcome"] == "failed" and not (
                entry["message"] and {"check_incomplete", "delete_failed"} & set(entry["reasons"])
            ):
                report.violate(f"apply: {_show(key)} failed without saying what: {entry}")
        for key in merged_keys:
            outcome = outcomes.get(key)
            now_uid, was_uid = current_uid[key], planned_uid[key]
            if now_uid is None:
                expected = "already_deleted"
            elif now_uid != was_uid:
                expected = "skipped"  # version_changed
            elif verdicts[now_uid]:
                expected = "skipped"
            else:
                expected = "deleted"
            if report.clean and now_uid is not None and now_uid == was_uid and not verdicts[now_uid]:
                report.safe_planned += 1
                report.safe_deleted += outcome == "deleted"
            if outcome == expected:
                continue
            if faulted and outcome == "failed":
                continue  # said so: a check or the deletion could not be completed
            report.violate(
                f"apply: {_show(key)} ended {outcome}, the oracle expects {expected}"
                f" (reasons now: {verdicts.get(now_uid or '', set())}; faults: {faulted})"
            )
        return outcomes

    def _check_rerun(
        self,
        merged: list[dict[str, Any]],
        planned_uid: dict[Key, str | None],
        verdicts: dict[str, set[str]],
        first: dict[Key, str],
        gone: list[Any],
        code: int,
        output: str,
    ) -> None:
        report = self.report
        merged_keys = {_key(e) for e in merged}
        results = self._result()
        self._check_deletions(gone, planned_uid, merged_keys, verdicts, results, "re-run")
        for key in merged_keys:
            outcome = results[key][0]["outcome"] if key in results else None
            before = first.get(key)
            if before in ("deleted", "already_deleted") and outcome != "already_deleted":
                report.violate(f"re-run: {_show(key)} was {before}, now {outcome}")
            elif before in ("skipped",) and outcome not in ("skipped", "already_deleted"):
                report.violate(f"re-run: {_show(key)} was skipped, now {outcome}")
            elif outcome == "deleted" and before != "failed":
                report.violate(f"re-run deleted {_show(key)}, which the first run ended {before}")
        if any(r[0]["outcome"] == "failed" for r in results.values()) != (code == 1) or code not in (0, 1):
            report.violate(f"re-run exited {code}: {output[-1500:]}")


def _tamper(document: dict[str, Any], how: str, rng: random.Random) -> bool:
    """Change a plan the way validate must reject; False when this plan offers nothing to change."""
    delete, keep = document["delete"], document["keep"]
    if how == "add" and keep:
        added = keep.pop(rng.randrange(len(keep)))
        # Disguised as a candidate (schema-valid): only the removals-only rule can catch it.
        added.update(reasons=["no_activity_and_stale"], details=[])
        delete.append(added)
        return True
    if how == "retarget" and delete:
        entry = rng.choice(delete)
        # Another version of the same function: same region, same name.
        others = [e for e in keep if _key(e)[:2] == _key(entry)[:2]]
        if not others:
            return False
        other = rng.choice(others)
        for name in ("version", "function_arn", "last_modified", "code_sha256", "age_days"):
            entry[name] = other[name]
        keep.remove(other)
        return True
    if how == "settings":
        document["settings"]["keep_last_n"] = (
            max(0, document["settings"]["keep_last_n"] - 1) if document["settings"]["keep_last_n"] else 5
        )
        return True
    if how == "unkeep" and keep:
        keep.pop(rng.randrange(len(keep)))
        return True
    return False


# --- minimising ---------------------------------------------------------------------------------------


def _simpler(scenario: Scenario) -> Iterator[Scenario]:
    """Scenarios one step simpler than `scenario`, most drastic first."""
    replace = dataclasses.replace
    for faults_field in ("scan_faults", "apply_faults"):
        every: tuple[Faults, ...] = getattr(scenario, faults_field)
        if every:
            yield replace(scenario, **{faults_field: ()})
        if len(every) > 1:
            for index in range(len(every)):
                yield replace(scenario, **{faults_field: every[:index] + every[index + 1 :]})
    for faults_field in ("scan_faults", "apply_faults"):
        every = getattr(scenario, faults_field)
        for index, faults in enumerate(every):
            simpler = []
            if faults.deny is not None:
                simpler.append(replace(faults, deny=None))
            if faults.rate:
                simpler.append(replace(faults, rate=0.0))
            if faults.slow_rate:
                simpler.append(replace(faults, slow_rate=0.0))
            for changed in simpler:
                yield replace(scenario, **{faults_field: (*every[:index], changed, *every[index + 1 :])})
    if scenario.drift:
        yield replace(scenario, drift=())
        for index in range(len(scenario.drift)):
            yield replace(scenario, drift=scenario.drift[:index] + scenario.drift[index + 1 :])
    if scenario.edit != Edit():
        yield replace(scenario, edit=Edit())
    for index, function in enumerate(scenario.functions):
        if len(scenario.functions) > 1:
            where = (function.region, function.name)
            yield replace(
                scenario,
                functions=scenario.functions[:index] + scenario.functions[index + 1 :],
                traffic=tuple(t for t in scenario.traffic if (t.region, t.function) != where),
                drift=tuple(d for d in scenario.drift if (d.region, d.function) != where),
            )
    for index in range(len(scenario.traffic)):
        yield replace(scenario, traffic=scenario.traffic[:index] + scenario.traffic[index + 1 :])
    for index, function in enumerate(scenario.functions):

        def with_function(changed: Any, index: int = index) -> Scenario:
            functions = list(scenario.functions)
            functions[index] = changed
            return replace(scenario, functions=tuple(functions))

        for name in ("aliases", "mappings", "policies", "tags"):
            items = getattr(function, name)
            if items:
                yield with_function(replace(function, **{name: ()}))
            if len(items) > 1:
                for drop in range(len(items)):
                    yield with_function(replace(function, **{name: items[:drop] + items[drop + 1 :]}))
        if function.unqualified_policy:
            yield with_function(replace(function, unqualified_policy=False))
        if (function.runtime, function.memory_mb) != ("python3.12", 1024):
            yield with_function(replace(function, runtime="python3.12", memory_mb=1024))
        if len(function.versions) > 1:
            yield with_function(replace(function, versions=function.versions[1:]))
            yield with_function(replace(function, versions=function.versions[:-1]))
    if scenario.scan_flags != ScanFlags():
        yield replace(scenario, scan_flags=ScanFlags())
    if scenario.apply_file != scenario.scan_file:
        yield replace(scenario, apply_file=scenario.scan_file)
    for settings_field in ("scan_file", "apply_file"):
        settings: SettingsSpec = getattr(scenario, settings_field)
        for name in ("overrides", "include", "exclude"):
            if getattr(settings, name):
                yield replace(scenario, **{settings_field: replace(settings, **{name: ()})})
        if settings.max_deletions_per_apply is not None:
            yield replace(scenario, **{settings_field: replace(settings, max_deletions_per_apply=None)})
        if settings.price_factors:
            yield replace(scenario, **{settings_field: replace(settings, price_factors=())})
    if scenario.scan_file.max_concurrent_regions != 1:
        # Still failing one region at a time: not a matter of the regions scanned at once.
        yield replace(scenario, scan_file=replace(scenario.scan_file, max_concurrent_regions=1))
    if scenario.apply_days_later:
        yield replace(scenario, apply_days_later=0)
    if scenario.dry_run_first:
        yield replace(scenario, dry_run_first=False)


def minimise(scenario: Scenario, fails: Callable[[Scenario], bool], budget: int = 150) -> Scenario:
    """Greedy: take the first simpler scenario that still fails, until none does (or the budget ends)."""
    tried = 0
    improved = True
    while improved and tried < budget:
        improved = False
        for candidate in _simpler(scenario):
            tried += 1
            if fails(candidate):
                scenario, improved = candidate, True
                break
            if tried >= budget:
                break
    return scenario
