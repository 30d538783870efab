"""Refusal comments on the merged pull request (issue 19): what failed comes first, then what to do now
that the pull request is merged, then what passed; no path of the runner's checkout; settings named as
code, not as escaped brackets."""

from __future__ import annotations

import re

from plan_scene import Scene, assert_refused

from cleaner.exit_codes import ExitCode


def test_a_refusal_leads_with_the_failed_rule_and_the_next_step(scene: Scene) -> None:
    code, output = scene.apply(scene.fake.merge(scene.number))  # nobody approved

    assert_refused(scene, code, output, "**failed** `approvals`")
    comment = scene.last_comment()
    items = re.findall(r"^- (passed|\*\*failed\*\*) `(\w+)`", comment, re.MULTILINE)
    outcomes = [outcome for outcome, _ in items]
    assert outcomes[0] == "**failed**" and outcomes == sorted(outcomes, key=lambda o: o != "**failed**")
    step = comment.index("**Next step:** this pull request is merged and will not be applied.")
    assert comment.index("**failed** `approvals`") < step < comment.index("- passed ")
    assert "approving review, after its last change" in comment and "run the scan workflow" in comment


def test_a_refused_limit_names_no_runner_path_and_shows_settings_as_code(scene: Scene) -> None:
    scene.fake.review(scene.number, "bob")
    pyproject = "[tool.cleaner]\nmax_deletions_per_apply = 1\n"

    code, output = scene.apply(scene.fake.merge(scene.number), pyproject)

    assert code == ExitCode.BAD_INPUT, output
    comment = scene.last_comment()
    assert "3 deletions exceed max_deletions_per_apply (1)" in comment
    assert str(scene.root) not in comment and "plans/p1/plan.json:" in comment
    assert "`[tool.cleaner]`" in comment and "\\[tool.cleaner\\]" not in comment
    assert "**Next step:** fix that, then run the scan workflow" in comment
