"""The review page measured in a real browser: rendered as GitHub renders it (cmark-gfm with GitHub's
extensions, GitHub's Markdown CSS) and laid out by headless Chromium at a 1280 px window, with the
description's text column 1,012 px wide (issue 19).

    npm install --prefix /tmp/ghcss github-markdown-css   # GitHub's Markdown CSS, outside the repo
    apt-get install -y chromium
    python tests/benchmarks/measure_page.py [--out DIR] [--width 1012] [--chrome 350] [--screen 800]

For the sample plan, the page-size tests' plans (`large_plan(1_400, 85)`, `large_plan(5_000, 340)`) and
the same sizes with function names of up to 40 characters over two regions, it prints each page's body and
plan.md sizes in characters, the y offset of every heading (details closed, as GitHub shows them),
every table cell and `<summary>` whose text wraps onto a second line (details opened), and writes a
PNG of the first screen of each description to --out (GitHub's own chrome above the description
stands in as a grey bar of --chrome px). Mermaid charts stand in as a 500 px box: GitHub draws them in
an iframe this page cannot reproduce offline. It skips, exit 0, when Chromium or the CSS is absent.
The text font is the first of GitHub's stack installed (Noto Sans with Debian's fonts-noto-core,
otherwise Liberation Sans, Arial's metrics); `--font` sets another. A `<br>` is a line break by intent,
not counted as a wrap.
`--pages` chooses what to measure (comma-separated; `all` for every one): `plans` (the above, the
default), `organisation` (a body of five accounts, one scanned per region, one with the scan's AccessDenied
warning, one with nothing to delete, one failed; account and function names of up to 40 characters),
`apply-result` (AccessDenied failures with AWS's whole message, skips, deletions) and `refusal` (the two
comments apply posts when it refuses a merged plan). Each is measured as a comment (hard line breaks),
and also reports the list items that take more than one line.
Not a test: pytest does not collect it (`test_*.py` only), and CI never runs it.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT if (ROOT / "cleaner").is_dir() else Path.cwd()))

CHROMIUM = Path("/usr/bin/chromium")
CSS = Path("/tmp/ghcss/node_modules/github-markdown-css/github-markdown-light.css")
MERMAID_PX = 500
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# Writes what the page measures into a <pre id="measure-out"> that --dump-dom returns.
MEASURE_JS = r"""
(function () {
  const art = document.querySelector('article.markdown-body');
  const pad = parseFloat(getComputedStyle(art).paddingTop);
  const top0 = art.getBoundingClientRect().top + window.scrollY + pad;
  const y = el => Math.round(el.getBoundingClientRect().top + window.scrollY - top0);
  const out = {width: art.clientWidth - 2 * parseFloat(getComputedStyle(art).paddingLeft),
               headings: [], tables: [], summaries: []};
  for (const h of art.querySelectorAll('h1,h2,h3'))
    out.headings.push([h.tagName, h.textContent.trim(), y(h)]);
  out.height = Math.round(art.getBoundingClientRect().height);
  for (const d of art.querySelectorAll('details')) d.open = true;
  function lines(node) {
    const r = document.createRange(); r.selectNodeContents(node);
    const mids = [];
    for (const rect of r.getClientRects()) {
      if (rect.width < 1 || rect.height < 1) continue;
      const m = rect.top + rect.height / 2;
      if (!mids.some(x => Math.abs(x - m) < 4)) mids.push(m);
    }
    return mids.length;
  }
  function where(el) {
    const d = el.closest('details');
    const det = d && d.querySelector('summary') ? d.querySelector('summary').textContent.trim() : '';
    let n = d || el;
    while (n && n !== art) {
      for (let p = n.previousElementSibling; p; p = p.previousElementSibling)
        if (/^H[1-3]$/.test(p.tagName)) return [p.textContent.trim(), det];
      n = n.parentElement;
    }
    return ['', det];
  }
  for (const t of art.querySelectorAll('table')) {
    const [section, details] = where(t);
    const header = [...t.querySelectorAll('thead th')].map(c => c.textContent.trim());
    const wraps = [];
    for (const tr of t.querySelectorAll('tr'))
      [...tr.children].forEach((c, i) => {
        const n = lines(c) - c.querySelectorAll('br').length;  // a <br> is a line break by intent
        if (n > 1) wraps.push({column: header[i] || String(i), lines: n,
                               text: c.innerText.trim().replace(/\n/g, ' / ').slice(0, 100),
                               px: Math.round(c.getBoundingClientRect().width)});
      });
    const saved = t.style.cssText;
    t.style.maxWidth = 'none';
    const natural = Math.round(t.scrollWidth);
    t.style.cssText = saved;
    out.tables.push({section, details: details.slice(0, 90), header,
                     rows: t.querySelectorAll('tbody tr').length,
                     px: Math.round(t.getBoundingClientRect().width), natural, wraps});
  }
  for (const s of art.querySelectorAll('summary')) {
    const n = lines(s) - s.querySelectorAll('br').length;
    if (n > 1) out.summaries.push([n, s.textContent.trim().slice(0, 120)]);
  }
  if (art.dataset.items) {
    out.items = [];
    for (const li of art.querySelectorAll('li')) {
      const n = lines(li) - li.querySelectorAll('br').length;
      if (n > 1) out.items.push([n, where(li)[0], li.innerText.trim().replace(/\n/g, ' / ').slice(0, 120)]);
    }
    out.paragraphs = [...art.querySelectorAll('p')].map(p => lines(p)).filter(n => n > 3).length;
  }
  for (const d of art.querySelectorAll('details')) d.open = false;
  const pre = document.createElement('pre'); pre.id = 'measure-out'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


def _alerts(page: str) -> str:
    """GitHub shows `> [!NOTE]` as a titled alert box; cmark-gfm leaves the marker as text."""

    def opening(match: re.Match[str]) -> str:
        kind = match.group(1).lower()
        title = f'<p class="markdown-alert-title">{kind.title()}</p>'
        return f'<div class="markdown-alert markdown-alert-{kind}">{title}\n<p>'

    page = re.sub(r"<blockquote>\s*<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\](?:<br />)?\s*", opening, page)
    head, *alerts = page.split('<div class="markdown-alert')
    return '<div class="markdown-alert'.join(
        [head, *(a.replace("</blockquote>", "</div>", 1) for a in alerts)]
    )


def _mermaid(page: str) -> str:
    box = (
        f'<div style="height:{MERMAID_PX}px;border:1px dashed #aaa;display:flex;align-items:center;'
        f'justify-content:center;color:#888">Mermaid chart (assumed {MERMAID_PX} px)</div>'
    )
    return re.sub(r'<pre lang="mermaid"><code>.*?</code></pre>', box, page, flags=re.S)


def html_page(
    markdown: str,
    *,
    comment: bool,
    width: int,
    padding: int,
    chrome: int,
    script: bool,
    font: str = "",
    items: bool = False,
) -> str:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    options = Options.CMARK_OPT_UNSAFE | (Options.CMARK_OPT_HARDBREAKS if comment else 0)
    body = _mermaid(_alerts(cmarkgfm.github_flavored_markdown_to_html(markdown, options)))
    bar = (
        f'<div style="height:{chrome}px;background:#f6f8fa;border-bottom:1px solid #d0d7de;'
        f'font:14px sans-serif;color:#666;padding:8px;box-sizing:border-box">GitHub above the '
        f"description (assumed {chrome} px)</div>"
        if chrome
        else ""
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><style>{CSS.read_text()}\n'
        "body{margin:0;background:#fff}"
        f"{'.markdown-body{font-family:' + font + '}' if font else ''}</style></head><body>"
        f'{bar}<article class="markdown-body" style="width:{width + 2 * padding}px;box-sizing:border-box;'
        f'padding:{padding}px;margin-left:80px"{" data-items=1" if items else ""}>{body}</article>'
        f"{'<script>' + MEASURE_JS + '</script>' if script else ''}</body></html>"
    )


def _chromium(args: list[str], profile: Path) -> str:
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def measure(page: Path, screen: int, profile: Path) -> dict[str, Any]:
    dom = _chromium([f"--window-size=1280,{screen}", "--dump-dom", page.as_uri()], profile)
    found = re.search(r'<pre id="measure-out">(.*?)</pre>', dom, re.S)
    if not found:
        raise RuntimeError(f"{page}: no measurements in the DOM")
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def screenshot(page: Path, png: Path, screen: int, profile: Path) -> None:
    _chromium([f"--window-size=1280,{screen}", f"--screenshot={png}", page.as_uri()], profile)


# --- the plans ----------------------------------------------------------------------------------------

WORDS = "payments core settlement reconciler invoice renderer customer profile sync worker orders fulfilment"
WORDS += " webhook dispatcher inventory snapshot notification fanout ledger export auth token refresher"
REGIONS = ["us-east-1", "ap-southeast-2"]


def _name(index: int, rng: random.Random) -> str:
    """A function name of 20 to 40 characters, every third exactly 40."""
    words = WORDS.split()
    name = ""
    while len(name) < 44:
        name += rng.choice(words) + "-"
    length = 40 if index % 3 == 0 else rng.randint(20, 40)
    return name[: length - 4].rstrip("-").ljust(length - 4, "x") + f"-{index:03d}"


def long_names_plan(deletions: int, functions: int, kept: int = 600) -> Any:
    """`large_plan`'s shape with names of up to 40 characters over us-east-1 and ap-southeast-2, real
    dates, and kept versions with the details a scan writes."""
    from cleaner.planner import cap_deletions
    from cleaner.reasons import Reason
    from cleaner.settings import ApplyLimits
    from tests.unit.factories import NOW, entry, sample_plan

    rng = random.Random(7)
    names = [_name(i, rng) for i in range(functions)]
    memories = [128, 256, 512, 1024, 2048, 3008]
    delete = []
    for index in range(deletions):
        f, age = index % functions, 400 - index // functions
        java, memory = f % 17 == 0, memories[f % len(memories)]
        delete.append(
            entry(
                names[f],
                index // functions + 1,
                region=REGIONS[f % 2],
                runtime="java21" if java else "python3.12",
                memory_mb=memory,
                age_days=age,
                last_modified=(NOW - timedelta(days=age)).isoformat(),
                last_invoked=(NOW - timedelta(days=age - 3)).isoformat() if index % 3 else None,
                invocations_in_window=0.0,
                estimated_monthly_cost_usd=0.0 if java else round(memory / 1024 * 3.8999, 4),
            )
        )
    notable = [
        (Reason.ALIAS_PROTECTED, "live, canary"),
        (Reason.EVENT_SOURCE_MAPPING_PROTECTED, "event source mapping 3f1c9a2e-5b7d-4e1a-9c0f-2d8b6a4e7f13"),
        (Reason.HAS_RECENT_INVOCATIONS, "1204 direct + 88 alias-routed invocations in the lookback window"),
        (Reason.RESOURCE_POLICY_PROTECTED, "resource policy statement AllowS3Invoke"),
        (Reason.CHECK_INCOMPLETE, "state Pending: not settled"),
    ]
    keep = []
    for index in range(kept):
        f, age = index % functions, 12 + index % 50
        reason, detail = (
            notable[index // 10 % len(notable)]
            if index % 10 == 0
            else (Reason.PROTECTED_KEPT_LAST_N, "among the newest 3 published versions")
        )
        keep.append(
            entry(
                names[f],
                500 + index,
                region=REGIONS[f % 2],
                reasons=[reason],
                details=[detail],
                age_days=age,
                last_modified=(NOW - timedelta(days=age)).isoformat(),
                last_invoked=(NOW - timedelta(days=index % 5, hours=3)).isoformat(),
                invocations_in_window=12.0,
            )
        )
    plan = sample_plan().model_copy(
        update={"delete": delete, "keep": keep, "warnings": [], "regions": REGIONS}
    )
    return cap_deletions(plan.with_derived_summary(), ApplyLimits(max_deletions_per_apply=10_000))


def pages() -> dict[str, Any]:
    from tests.unit.factories import sample_plan
    from tests.unit.test_review_page import large_plan

    return {
        "small": sample_plan(),
        "1400": large_plan(1_400, 85),
        "5000": large_plan(5_000, 340),
        "1400-long-names": long_names_plan(1_400, 85),
        "5000-long-names": long_names_plan(5_000, 340),
    }


# --- the other pages: the organisation body, apply-result.md, refusal comments -------------------------

ORG_NAMES = {  # account names of up to 40 characters, as [[tool.cleaner.accounts]] may give them
    "111111111111": "payments-core-settlement-production-eu-1",
    "222222222222": "customer-profile-sync-staging-ap-south-2",
    "333333333333": "sandbox",
    "444444444444": "ledger-export-production-us-east-1-batch",
    "555555555555": "orders-fulfilment-webhook-dispatcher-dev",
}
DENIED = (
    "An error occurred (AccessDeniedException) when calling the DeleteFunction operation: User:"
    " arn:aws:sts::123456789012:assumed-role/snapstart-cleaner-apply/GitHubActions is not authorized to"
    " perform: lambda:DeleteFunction on resource:"
    " arn:aws:lambda:{region}:123456789012:function:{name}:{version}"
    " with an explicit deny in a service control policy"
)


def organisation_body() -> str:
    """Five accounts as tests/unit/test_body_renders_as_gfm.py builds them: a large one with function
    names of up to 40 characters, one scanned per region (two plans), a small one with the scan's
    AccessDenied warning, one with nothing to delete, and one that failed; account names of up to 40
    characters, plan ids as the scan workflow makes them."""
    from cleaner.github.plan_set import PlanFiles, PlanSet
    from cleaner.github.trailers import FailedAccount
    from cleaner.render import render_plan_markdown
    from tests.unit.factories import sample_plan

    def files(plan: Any, account: str, region: str = "") -> Any:
        # The scan workflow's plan ids: the run's, then `-<account-id>` (and `-<region>` per region).
        plan_id = f"20261101T120000Z-{account}{'-' + region if region else ''}"
        update = {"plan_id": plan_id, "account_id": account, **({"regions": [region]} if region else {})}
        plan = plan.model_copy(update=update)
        return PlanFiles(plan, plan.model_dump_json(), render_plan_markdown(plan), f"plans/{plan.plan_id}")

    plans = [
        files(long_names_plan(1_400, 85), "111111111111"),
        # One account scanned per region: two plans.
        files(long_names_plan(300, 30, kept=60), "222222222222", "ap-southeast-2"),
        files(long_names_plan(60, 8, kept=10), "222222222222", "us-east-1"),
        files(sample_plan(), "333333333333"),  # its warning: cloudfront:ListDistributions: AccessDenied
        files(sample_plan(min_age_days=1_000), "555555555555"),  # nothing to delete
    ]
    failed = [
        FailedAccount(
            "444444444444",
            "exit 3: could not assume arn:aws:iam::444444444444:role/snapstart-cleaner-scan: AccessDenied",
        )
    ]
    plan_set = PlanSet(plans, failed, ORG_NAMES, dry_run=True)
    repository = "https://github.com/acme/infra/blob/snapstart-cleaner/plan"
    return plan_set.body({f.plan.plan_id: f"{repository}/{f.md_path}" for f in plan_set.to_commit})


def apply_result_page() -> str:
    """apply-result.md of a run with AccessDenied failures (AWS's whole message, naming each version's
    ARN), skips for several reasons, deletions and versions already gone; names of up to 40 characters."""
    from cleaner.apply_result import ApplyResult, EntryResult, Outcome, count_outcomes
    from cleaner.render import render_apply_markdown
    from tests.unit.factories import NOW

    plan = long_names_plan(120, 12, kept=0)
    # The 40-character names first: they fail and are skipped.
    functions = sorted({(e.region, e.function_name) for e in plan.delete}, key=lambda f: (-len(f[1]), f))
    entries = []
    skips = [
        (["alias_protected"], "alias live (primary) now points at this version"),
        (["invoked_since_scan"], "38 invocations since the scan"),
        (["version_changed"], "CodeSha256 differs from the scan's"),
    ]
    for e in plan.delete:
        f = functions.index((e.region, e.function_name))
        if f < 3 and int(e.version) <= 4:
            message = DENIED.format(region=e.region, name=e.function_name, version=e.version)
            outcome, reasons = Outcome.FAILED, ["delete_failed"]
        elif f in (3, 4) and int(e.version) % 4 == 0:
            outcome, (reasons, message) = Outcome.SKIPPED, skips[int(e.version) % 3]
        else:
            outcome, reasons, message = (
                Outcome.ALREADY_DELETED if f == 5 and int(e.version) < 3 else Outcome.DELETED,
                [],
                "",
            )
        entries.append(
            EntryResult(
                region=e.region,
                function_name=e.function_name,
                version=e.version,
                outcome=outcome,
                reasons=reasons,
                message=message,
                seconds=0.4,
            )
        )
    result = ApplyResult(
        plan_id=plan.plan_id,
        plan_path=f"plans/{plan.plan_id}/plan.json",
        account_id=plan.account_id,
        dry_run=False,
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=61),
        approval="PR #42 approved by carol (a writer who did not change the plan), after its last change",
        entries=entries,
        counts=count_outcomes(entries),
        verify_seconds=12.4,
        delete_seconds=48.2,
        deletions_per_second=2.1,
    )
    return render_apply_markdown(result, plan)


def refusal_comments() -> dict[str, str]:
    """The two refusal comments apply posts on a merged pull request: a failed rule of the two-person
    rule (with the texts tests/github/test_github_refusal_comment.py's scene gets), and a refused limit."""
    from types import SimpleNamespace

    from cleaner.commands.approval import refusal_markdown, report_refusal
    from cleaner.github.approval import Approval, RequirementResult

    path = "plans/20261101T120000Z-111111111111/plan.json"
    requirements = [
        ("merged_pull_request", True, "commit d1feee0c3811 merged PR #42"),
        ("only_plan_files", True, "PR #42 changed only plan files"),
        ("applied_once", True, f"`{path}` is new on the default branch"),
        (
            "provenance",
            True,
            f"a removals-only subset of artifact `plan-{path.split('/')[1]}` of scan run 812",
        ),
        (
            "approvals",
            False,
            f"PR #42 has 0 of 1 required approving reviews given after the last change to `{path}` by"
            " someone who did not write it",
        ),
        ("attributable_commits", True, "every commit of PR #42 belongs to a GitHub account"),
        (
            "verified_bot_commits",
            True,
            "every commit of PR #42 attributed to a bot is snapstart-cleaner[bot]'s, signed by GitHub",
        ),
        ("page_is_the_plan", True, "PR #42's title and description are what its plans render to"),
    ]
    approval = Approval(
        ok=False,
        reason="approvals",
        pr_number=42,
        requirements=[RequirementResult(name=n, ok=ok, message=m) for n, ok, m in requirements],
    )
    said: list[str] = []
    cwd = Path("/home/runner/work/infra/infra")
    env = SimpleNamespace(cwd=cwd, progress=lambda text: None)
    reporter = SimpleNamespace(comment=lambda markdown, env: said.append(markdown))
    report_refusal(
        # cleaner.commands.apply's words for a plan over the cap, with the runner's path.
        f"{cwd}/{path}: 5000 deletions exceed max_deletions_per_apply (1000): split the plan (drop"
        " entries) or raise the limit in `[tool.cleaner]`",
        env,  # type: ignore[arg-type]
        reporter,  # type: ignore[arg-type]
    )
    return {"refusal-approvals": refusal_markdown(approval), "refusal-limit": said[0]}


def other_pages(chosen: list[str]) -> dict[str, str]:
    """Each chosen page's Markdown, by name."""
    found: dict[str, str] = {}
    if "organisation" in chosen:
        found["organisation"] = organisation_body()
    if "apply-result" in chosen:
        found["apply-result"] = apply_result_page()
    if "refusal" in chosen:
        found.update(refusal_comments())
    return found


PAGES = ["plans", "organisation", "apply-result", "refusal"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "measure-page")
    parser.add_argument("--width", type=int, default=1012, help="the description's text column, px")
    parser.add_argument("--padding", type=int, default=16, help="around the text column, px")
    parser.add_argument("--chrome", type=int, default=350, help="GitHub above the description, px")
    parser.add_argument("--screen", type=int, default=800, help="the window's height, px")
    parser.add_argument(
        "--font", default="", help="a body font instead of GitHub's stack (e.g. 'DejaVu Sans')"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--pages",
        default="plans",
        help=f"which pages, comma-separated, of {', '.join(PAGES)} (or all); default: plans",
    )
    args = parser.parse_args()
    chosen = PAGES if args.pages == "all" else [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PAGES]
    if unknown:
        parser.error(f"--pages: unknown {', '.join(unknown)}; choose from {', '.join(PAGES)} or all")
    missing = [str(p) for p in (CHROMIUM, CSS) if not p.exists()]
    if missing:
        print(f"skipped: {', '.join(missing)} absent (see this script's docstring)")
        return 0
    from cleaner.github.body import BODY_LIMIT
    from cleaner.render import render_plan_body, render_plan_markdown
    from tests.unit.test_review_page import LINK

    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    profile = Path(tempfile.mkdtemp(prefix="measure-page-profile-"))
    try:
        for key, plan in (pages() if "plans" in chosen else {}).items():
            body = render_plan_body(plan, LINK, BODY_LIMIT, dry_run=True) or ""
            full = render_plan_markdown(plan)
            entry: dict[str, Any] = {"body_chars": len(body), "plan_md_chars": len(full)}
            for name, markdown, comment in (("body", body, True), ("plan.md", full, False)):
                page = args.out / f"{key}.{name}.html"
                page.write_text(
                    html_page(
                        markdown,
                        comment=comment,
                        width=args.width,
                        padding=args.padding,
                        chrome=0,
                        script=True,
                        font=args.font,
                    )
                )
                entry[name] = measure(page, args.screen, profile)
            shot = args.out / f"{key}.screen.html"
            shot.write_text(
                html_page(
                    body,
                    comment=True,
                    width=args.width,
                    padding=args.padding,
                    chrome=args.chrome,
                    script=False,
                    font=args.font,
                )
            )
            screenshot(shot, args.out / f"{key}.first-screen.png", args.screen, profile)
            report[key] = entry
        for key, markdown in other_pages(chosen).items():
            # A pull request's body and its comments: both rendered with hard line breaks.
            def laid_out(chrome: int, script: bool, markdown: str = markdown) -> str:
                return html_page(
                    markdown,
                    comment=True,
                    width=args.width,
                    padding=args.padding,
                    chrome=chrome,
                    script=script,
                    font=args.font,
                    items=True,
                )

            page = args.out / f"{key}.body.html"
            page.write_text(laid_out(0, True))
            report[key] = {"body_chars": len(markdown), "body": measure(page, args.screen, profile)}
            (args.out / f"{key}.md").write_text(markdown)
            shot = args.out / f"{key}.screen.html"
            shot.write_text(laid_out(args.chrome, False))
            screenshot(shot, args.out / f"{key}.first-screen.png", args.screen, profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(
        f"text column {args.width} px, window 1280 x {args.screen} px,"
        f" {args.chrome} px of GitHub above the body"
    )
    for key, entry in report.items():
        if "plan_md_chars" not in entry:
            print(f"\n== {key}: {entry['body_chars']:,} characters")
        else:
            print(f"\n== {key}: body {entry['body_chars']:,} characters, plan.md {entry['plan_md_chars']:,}")
        for name in ("body", "plan.md") if "plan_md_chars" in entry else ("body",):
            m = entry[name]
            heads = ", ".join(f"{text} {y:,}" for tag, text, y in m["headings"] if tag == "H2")
            print(f"  {name}: {m['height']:,} px tall (details closed); ## at y: {heads}")
            wraps = [(t, w) for t in m["tables"] for w in t["wraps"]]
            tables = [t for t in m["tables"] if t["wraps"]]
            print(f"    {len(m['tables'])} tables, {len(wraps)} wrapped cells in {len(tables)}")
            widest: dict[str, int] = {}
            for t in m["tables"]:
                widest[t["section"]] = max(widest.get(t["section"], 0), t["natural"])
            print(
                "    natural width of the widest table, px: "
                + ", ".join(f"{k} {v:,}" for k, v in widest.items())
            )
            seen: set[tuple[str, str]] = set()
            for t, w in wraps:
                what = (t["section"], w["column"])
                if what in seen:
                    continue
                seen.add(what)
                n = sum(1 for u, x in wraps if (u["section"], x["column"]) == what)
                print(
                    f"      {t['section']} / {w['column']}: {n} cells, e.g. {w['lines']} lines"
                    f" at {w['px']} px: {w['text']!r}"
                )
            for lines, text in m["summaries"][:3]:
                print(f"    <summary> on {lines} lines: {text!r}")
            if len(m["summaries"]) > 3:
                print(f"    ... {len(m['summaries'])} <summary> lines wrap in all")
            if "items" in m:
                print(
                    f"    {len(m['items'])} list items on more than one line,"
                    f" {m['paragraphs']} paragraphs on 4+"
                )
                for lines, section, text in m["items"][:4]:
                    print(f"      {section or '(top)'}: {lines} lines: {text!r}")
    print(f"\nscreenshots: {args.out}/*.first-screen.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
