"""An in-memory fake of the GitHub REST API on 127.0.0.1, for tests that drive real PyGithub.

It implements exactly the endpoints PyGithub calls when snapstart-cleaner opens a plan pull request and
checks an approval (including the Actions artifacts and runs the provenance check reads, and the
artifact download's redirect to another host), with GitHub's answers for the mistakes that matter
(non-fast-forward ref updates, a second PR for the same branch, bodies over 65,536 characters, review
requests to the author, the 403 "GitHub Actions is not permitted to create or approve pull requests.").
Every `url` in a response names the fake's own host:port, because PyGithub follows them. Helpers
simulate what people do: push a commit to a branch, open a PR, review, merge, and what a workflow
run does: upload an artifact.

Identity is GitHub's: the bot is a GitHub App (`BOT`, `snapstart-cleaner[bot]`, type Bot) whose
installation token (`BOT_TOKEN`) is not a user (`GET /user` answers 403). A commit made through the Git
Data API by an App with no custom author, committer or signature comes back signed by GitHub
(`verification.verified`, reason `valid`), as do GitHub's merges and web edits; a commit pushed with git
(`commit_files`), or made through the API with a personal token or a custom identity, is unsigned,
whatever e-mail it carries. Comments keep `created_at` and `updated_at` (an edit moves the latter) and
answer with the commenter's `author_association`; `compare/{base}...{head}` says whether a commit is on
a branch.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

NOT_PERMITTED = "GitHub Actions is not permitted to create or approve pull requests."
BODY_LIMIT = 65_536
CONTENTS_API_LIMIT = 1024 * 1024
BOT_TOKEN = "bot-token"  # the App's installation token, as create-github-app-token mints it
ACTIONS_TOKEN = "actions-token"  # a workflow's own GITHUB_TOKEN
_DOCS = "https://docs.github.com/rest"

Json = dict[str, Any]


@dataclass(frozen=True)
class User:
    login: str
    type: str = "User"  # "Bot" for apps such as github-actions[bot]
    permission: str = "write"  # on this repository: admin, write, read or none

    @property
    def noreply_email(self) -> str:
        return f"{self.login}@users.noreply.github.com"


# The GitHub App that opens the plan pull request and commits /keep edits.
BOT = User("snapstart-cleaner[bot]", "Bot")
# Every workflow's own token: an App too, never the plan's bot.
ACTIONS_BOT = User("github-actions[bot]", "Bot")
# GitHub's own committer of merges and web edits (`GitHub <noreply@github.com>`).
WEB_FLOW = User("web-flow")
WEB_FLOW_EMAIL = "noreply@github.com"
SCAN_WORKFLOW = ".github/workflows/scan.yml"


@dataclass
class Commit:
    sha: str
    tree: str
    parents: list[str]
    message: str
    author: dict[str, str]
    committer: dict[str, str]
    user: User | None  # the GitHub account the author's e-mail maps to
    committer_user: User | None = None  # the account the committer's e-mail maps to
    # GitHub's signature check: "valid" only for what GitHub signed itself (an App's API commit with no
    # custom identity, a merge, a web edit); a pushed commit is "unsigned".
    verified: bool = False
    reason: str = "unsigned"


@dataclass
class Review:
    id: int
    user: User
    state: str
    submitted_at: datetime
    commit_id: str
    body: str = ""


@dataclass
class Comment:
    id: int
    user: User
    body: str
    created_at: datetime
    updated_at: datetime | None = None  # moved by every edit; None: never edited


@dataclass
class WorkflowRun:
    id: int
    path: str
    event: str
    head_branch: str
    head_sha: str
    head_repository: str  # OWNER/NAME: a fork's runs name the fork


@dataclass
class Artifact:
    id: int
    name: str
    run: WorkflowRun
    zip_bytes: bytes
    created_at: datetime
    expired: bool = False


@dataclass
class Pull:
    number: int
    title: str
    body: str | None
    head: str
    base: str
    user: User
    created_at: datetime
    state: str = "open"
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    # Once closed or merged, the PR's commits are those between these two (GitHub keeps them).
    frozen_head: str | None = None
    frozen_base: str | None = None
    labels: list[str] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[Json] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload: Json = {"message": message, "documentation_url": _DOCS}
        if errors:
            self.payload["errors"] = errors


def _validation(field_name: str, message: str) -> ApiError:
    return ApiError(422, "Validation Failed", [{"field": field_name, "code": "custom", "message": message}])


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub:
    """One repository (`owner/name`) with its git objects, refs, pull requests, reviews and comments."""

    def __init__(self, owner: str = "acme", name: str = "infra", default_branch: str = "main") -> None:
        self.owner, self.name, self.default_branch = owner, name, default_branch
        self.lock = threading.RLock()
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, dict[str, str]] = {}  # tree sha -> {path: blob sha}, flattened
        self.commits: dict[str, Commit] = {}
        self.refs: dict[str, str] = {}  # "heads/main" -> commit sha
        self.pulls: dict[int, Pull] = {}
        self.labels: set[str] = set()
        self.teams: set[str] = set()
        self.users: dict[str, User] = {BOT.login: BOT, ACTIONS_BOT.login: ACTIONS_BOT}
        self.tokens: dict[str, User] = {BOT_TOKEN: BOT, ACTIONS_TOKEN: ACTIONS_BOT}
        self.forbid_pull_creation = False
        self.runs: dict[int, WorkflowRun] = {}
        self.artifacts: dict[int, Artifact] = {}
        # Authorization headers that reached the artifact storage host (must stay empty: the token is
        # GitHub's, never the storage's).
        self.storage_authorizations: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API call, for assertions
        # Endpoints a test installs on top of these (fakes/github_settings.py: the repository's settings),
        # tried before the built-in ones.
        self.extra_routes: list[tuple[str, str, _Handler]] = []
        self.errors: list[Exception] = []  # the fake's own failures (a test should see none)
        self.clock = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        self.url = "http://127.0.0.1:0"
        self._ids = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.commit_files(default_branch, {"README.md": "# infra\n"}, user=self.add_user("octocat", "admin"))

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), name="fake-github", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    # --- helpers for tests: what people do -----------------------------------------------------------

    def add_user(self, login: str, permission: str = "write", type: str = "User") -> User:
        user = User(login, type, permission)
        self.users[login] = user
        self.tokens.setdefault(f"{login}-token", user)
        return user

    def commit_files(
        self,
        branch: str,
        files: dict[str, str | None],
        user: User | None = None,
        message: str = "Edit files",
        name: str | None = None,
        email: str | None = None,
        *,
        web_edit: bool = False,
        force_from: str | None = None,
    ) -> str:
        """A commit on top of `branch` (created from the default branch if missing) that sets (or, for
        None, removes) files, as if `user` pushed it with git (unsigned, whatever e-mail it carries);
        `web_edit`: as if `user` edited the files in GitHub's web editor (committer web-flow, signed by
        GitHub); `force_from`: on top of that commit instead, the branch force-pushed to it. Returns its
        sha."""
        with self.lock:
            user = user or self.users.get("alice") or self.add_user("alice")
            parent = (
                force_from
                or self.refs.get(f"heads/{branch}")
                or self.refs.get(f"heads/{self.default_branch}")
            )
            tree = dict(self.trees[self.commits[parent].tree]) if parent else {}
            for path, text in files.items():
                if text is None:
                    tree.pop(path, None)
                else:
                    tree[path] = self._store_blob(text.encode())
            identity = {"name": name or user.login, "email": email or user.noreply_email, "date": ""}
            sha = self._store_commit(self._store_tree(tree), [parent] if parent else [], message, identity)
            if web_edit:
                self._set_committer(sha, {"name": "GitHub", "email": WEB_FLOW_EMAIL})
                self._sign(sha)
            self.refs[f"heads/{branch}"] = sha
            return sha

    def commit_as_app(self, branch: str, files: dict[str, str | None], message: str = "Edit files") -> str:
        """What the App does through the Git Data API with no custom identity: a commit GitHub signs,
        on top of `branch`, the branch moved to it; returns its sha."""
        with self.lock:
            sha = self.commit_files(branch, files, user=BOT, message=message)
            self._sign(sha)
            return sha

    def open_pull(self, head: str, base: str, login: str = "alice", title: str = "Change") -> int:
        with self.lock:
            return self._create_pull(self.users.get(login) or self.add_user(login), head, base, title, "")

    def review(
        self,
        number: int,
        login: str,
        state: str = "APPROVED",
        commit_id: str | None = None,
        submitted_at: datetime | None = None,
        type: str = "User",
    ) -> Review:
        """`login` submits a review on the PR's current head (or `commit_id`)."""
        with self.lock:
            pull = self.pulls[number]
            user = self.users.get(login) or self.add_user(login, type=type)
            review = Review(
                id=self._next_id(),
                user=user,
                state=state,
                submitted_at=submitted_at or self._now(),
                commit_id=commit_id or self.head_sha(pull),
            )
            pull.reviews.append(review)
            return review

    def comment(self, number: int, login: str, body: str) -> Comment:
        """`login` writes a comment on the PR (as the issue_comment event a workflow sees)."""
        with self.lock:
            user = self.users.get(login) or self.add_user(login)
            comment = Comment(self._next_id(), user, body, self._now())
            self.pulls[number].comments.append(comment)
            return comment

    def edit_comment(self, comment: Comment, body: str) -> None:
        """Someone with write access edits the comment: GitHub keeps its author and moves `updated_at`."""
        with self.lock:
            comment.body, comment.updated_at = body, self._now()

    def edit_description(self, number: int, title: str | None = None, body: str | None = None) -> None:
        """A person edits the PR's title or description in the browser."""
        with self.lock:
            pull = self.pulls[number]
            pull.title = pull.title if title is None else title
            pull.body = pull.body if body is None else body

    def merge(self, number: int, method: str = "merge") -> str:
        """Merge the PR the way the button does (`merge` commit or `squash`); returns the new base head."""
        with self.lock:
            pull = self.pulls[number]
            if pull.state != "open":
                raise ValueError(f"PR #{number} is not open")
            head, base_head = self.head_sha(pull), self.refs[f"heads/{pull.base}"]
            merge_base = self._merge_base(head, base_head)
            ours, theirs = self._tree_of(base_head), self._tree_of(head)
            ancestor = self._tree_of(merge_base) if merge_base else {}
            tree = dict(ours)
            for path in set(ancestor) | set(theirs):
                if theirs.get(path) != ancestor.get(path):
                    if path in theirs:
                        tree[path] = theirs[path]
                    else:
                        tree.pop(path, None)
            parents = [base_head, head] if method == "merge" else [base_head]
            merger = self.users["octocat"]
            identity = {"name": merger.login, "email": merger.noreply_email, "date": ""}
            message = f"Merge pull request #{number} from {self.owner}/{pull.head}"
            sha = self._store_commit(self._store_tree(tree), parents, message, identity)
            self._set_committer(sha, {"name": "GitHub", "email": WEB_FLOW_EMAIL})
            self._sign(sha)
            pull.frozen_head, pull.frozen_base = head, base_head
            self.refs[f"heads/{pull.base}"] = sha
            pull.state, pull.merge_commit_sha = "closed", sha
            pull.merged_at = pull.closed_at = self._now()
            return sha

    def head_sha(self, pull: Pull | int) -> str:
        pull = self.pulls[pull] if isinstance(pull, int) else pull
        return pull.frozen_head or self.refs[f"heads/{pull.head}"]

    def file_at(self, ref: str, path: str) -> str | None:
        with self.lock:
            blob = self._tree_of(self._resolve(ref)).get(path)
            return None if blob is None else self.blobs[blob].decode()

    def pull_commits(self, number: int) -> list[Commit]:
        with self.lock:
            pull = self.pulls[number]
            return [
                self.commits[sha] for sha in self._commits_between(self._base_sha(pull), self.head_sha(pull))
            ]

    def changed_files(self, pull: Pull) -> list[Json]:
        """The PR's files as GitHub lists them: its head against the merge base."""
        with self.lock:
            head = self.head_sha(pull)
            merge_base = self._merge_base(head, self._base_sha(pull))
            before, after = (self._tree_of(merge_base) if merge_base else {}), self._tree_of(head)
            files = []
            for path in sorted(set(before) | set(after)):
                if before.get(path) == after.get(path):
                    continue
                status = "added" if path not in before else "removed" if path not in after else "modified"
                files.append({"filename": path, "status": status, "sha": after.get(path) or before[path]})
            return files

    def open_pulls(self) -> list[Pull]:
        return [p for p in self.pulls.values() if p.state == "open"]

    def upload_plan_artifact(self, plan_dir: Path, **run: Any) -> Artifact:
        """What scan.yml's upload step does with `plans/<plan-id>/`: artifact `plan-<plan-id>` holding
        plan.json and plan.md at its top level."""
        files = {name: (plan_dir / name).read_text() for name in ("plan.json", "plan.md")}
        return self.upload_artifact(f"plan-{plan_dir.name}", files, **run)

    def upload_artifact(
        self,
        name: str,
        files: dict[str, str],
        *,
        path: str = SCAN_WORKFLOW,
        event: str = "schedule",
        head_branch: str | None = None,
        head_sha: str | None = None,
        head_repository: str | None = None,
        expired: bool = False,
    ) -> Artifact:
        """What actions/upload-artifact does in a workflow run: `files` zipped as artifact `name` of a
        new run of `path` (by default the scan workflow, scheduled, on the default branch)."""
        with self.lock:
            branch = head_branch or self.default_branch
            run = WorkflowRun(
                id=self._next_id(),
                path=path,
                event=event,
                head_branch=branch,
                head_sha=head_sha or self.refs.get(f"heads/{branch}", "0" * 40),
                head_repository=head_repository or self.full_name,
            )
            self.runs[run.id] = run
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for member, text in files.items():
                    archive.writestr(member, text)
            artifact = Artifact(self._next_id(), name, run, buffer.getvalue(), self._now(), expired)
            self.artifacts[artifact.id] = artifact
            return artifact

    # --- the HTTP side -------------------------------------------------------------------------------

    def handle(self, method: str, target: str, body: Any, authorization: str) -> tuple[int, Any]:
        parts = urlsplit(target)
        path, query = unquote(parts.path), {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append((method, path))
            try:
                caller = self.tokens.get(authorization.split(" ")[-1])
                if caller is None:
                    raise ApiError(401, "Bad credentials")
                if method == "GET" and path == "/user":
                    if caller.type == "Bot":
                        raise ApiError(403, "Resource not accessible by integration")
                    return 200, self.user_json(caller)
                prefix = f"/repos/{self.owner}/{self.name}"
                if path != prefix and not path.startswith(prefix + "/"):
                    raise ApiError(404, "Not Found")
                rest = path[len(prefix) :]
                for verb, pattern, handler in [*self.extra_routes, *_ROUTES]:
                    match = re.fullmatch(pattern, rest)
                    if verb == method and match:
                        return handler(self, _Request(caller, match.groupdict(), query, body or {}))
                raise ApiError(404, "Not Found")
            except ApiError as error:
                return error.status, error.payload
            except Exception as error:  # a bug in the fake: answer, so the client does not hang
                self.errors.append(error)
                return 500, {"message": f"fake GitHub failed: {error!r}"}

    # --- storage -------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _store_blob(self, content: bytes) -> str:
        sha = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
        self.blobs[sha] = content
        return sha

    def _store_tree(self, entries: dict[str, str]) -> str:
        sha = hashlib.sha1(json.dumps(sorted(entries.items())).encode()).hexdigest()
        self.trees[sha] = dict(entries)
        return sha

    def _store_commit(self, tree: str, parents: list[str], message: str, author: dict[str, str]) -> str:
        when = _iso(self._now())
        author = {**author, "date": author.get("date") or when}
        committer = dict(author)
        seed = json.dumps([tree, parents, message, author, self._next_id()])
        sha = hashlib.sha1(seed.encode()).hexdigest()
        user = self._account_of(author["email"])
        self.commits[sha] = Commit(sha, tree, parents, message, author, committer, user, user)
        return sha

    def _account_of(self, email: str) -> User | None:
        """GitHub maps a commit's e-mail to an account; an e-mail nobody owns maps to none (null)."""
        if email == WEB_FLOW_EMAIL:
            return WEB_FLOW
        return next((u for u in self.users.values() if u.noreply_email == email), None)

    def _sign(self, sha: str) -> None:
        commit = self.commits[sha]
        commit.verified, commit.reason = True, "valid"

    def _set_committer(self, sha: str, committer: dict[str, str]) -> None:
        commit = self.commits[sha]
        commit.committer = {"date": commit.author["date"], **committer}
        commit.committer_user = self._account_of(commit.committer["email"])

    def _tree_of(self, commit: str) -> dict[str, str]:
        return self.trees[self.commits[commit].tree]

    def _resolve(self, ref: str) -> str:
        if f"heads/{ref}" in self.refs:
            return self.refs[f"heads/{ref}"]
        if ref in self.commits:
            return ref
        raise ApiError(404, f"No commit found for the ref {ref}")

    def _ancestors(self, sha: str) -> set[str]:
        seen, stack = set(), [sha]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.commits[current].parents)
        return seen

    def _commits_between_all(self, head: str) -> list[str]:
        """Every commit reachable from head, oldest first (parents before children)."""
        return self._commits_between_roots(head, set())

    def _commits_between(self, base: str, head: str) -> list[str]:
        """Commits reachable from head but not from base, oldest first (parents before children)."""
        return self._commits_between_roots(head, self._ancestors(base))

    def _commits_between_roots(self, head: str, excluded: set[str]) -> list[str]:
        ordered: list[str] = []
        seen: set[str] = set()

        def visit(sha: str) -> None:
            if sha in excluded or sha in seen:
                return
            seen.add(sha)
            for parent in self.commits[sha].parents:
                visit(parent)
            ordered.append(sha)

        visit(head)
        return ordered

    def _merge_base(self, head: str, base: str) -> str | None:
        reachable, queue = self._ancestors(base), [head]
        while queue:
            current = queue.pop(0)
            if current in reachable:
                return current
            queue.extend(self.commits[current].parents)
        return None

    def _base_sha(self, pull: Pull) -> str:
        return pull.frozen_base or self.refs[f"heads/{pull.base}"]

    def _create_pull(self, user: User, head: str, base: str, title: str, body: str | None) -> int:
        if f"heads/{head}" not in self.refs:
            raise _validation("head", "invalid")
        if f"heads/{base}" not in self.refs:
            raise _validation("base", "invalid")
        if any(p.head == head and p.base == base for p in self.open_pulls()):
            raise _validation("head", f"A pull request already exists for {self.owner}:{head}.")
        if not self._commits_between(self.refs[f"heads/{base}"], self.refs[f"heads/{head}"]):
            raise _validation("base", f"No commits between {base} and {head}")
        number = max(self.pulls, default=0) + 1
        self.pulls[number] = Pull(number, title, body, head, base, user, self._now())
        return number

    def _close(self, pull: Pull) -> None:
        if pull.state == "open":
            pull.frozen_head, pull.frozen_base = self.head_sha(pull), self._base_sha(pull)
            pull.state, pull.closed_at = "closed", self._now()

    # --- JSON views ----------------------------------------------------------------------------------

    @property
    def api(self) -> str:
        return f"{self.url}/repos/{self.full_name}"

    def user_json(self, user: User | None) -> Json | None:
        if user is None:
            return None
        return {
            "login": user.login,
            "id": int(hashlib.sha1(user.login.encode()).hexdigest()[:8], 16),
            "type": user.type,
            "url": f"{self.url}/users/{user.login}",
            "html_url": f"{self.url}/{user.login}",
        }

    def repo_json(self) -> Json:
        return {
            "id": 1,
            "name": self.name,
            "full_name": self.full_name,
            "owner": self.user_json(User(self.owner, "Organization")),
            "private": True,
            "html_url": f"{self.url}/{self.full_name}",
            "url": self.api,
            "default_branch": self.default_branch,
        }

    def ref_json(self, name: str) -> Json:
        sha = self.refs[name]
        return {
            "ref": f"refs/{name}",
            "url": f"{self.api}/git/refs/{name}",
            "object": {"sha": sha, "type": "commit", "url": f"{self.api}/git/commits/{sha}"},
        }

    def git_commit_json(self, commit: Commit) -> Json:
        return {
            "sha": commit.sha,
            "url": f"{self.api}/git/commits/{commit.sha}",
            "html_url": f"{self.url}/{self.full_name}/commit/{commit.sha}",
            "message": commit.message,
            "author": commit.author,
            "committer": commit.committer,
            "verification": {
                "verified": commit.verified,
                "reason": commit.reason,
                "signature": "-----BEGIN PGP SIGNATURE-----" if commit.verified else None,
                "payload": "tree ..." if commit.verified else None,
                "verified_at": _iso(self.clock) if commit.verified else None,
            },
            "tree": {"sha": commit.tree, "url": f"{self.api}/git/trees/{commit.tree}"},
            "parents": [{"sha": p, "url": f"{self.api}/git/commits/{p}"} for p in commit.parents],
        }

    def commit_json(self, commit: Commit) -> Json:
        return {
            "sha": commit.sha,
            "url": f"{self.api}/commits/{commit.sha}",
            "html_url": f"{self.url}/{self.full_name}/commit/{commit.sha}",
            "commit": self.git_commit_json(commit),
            "author": self.user_json(commit.user),
            "committer": self.user_json(commit.committer_user),
            "parents": [{"sha": p, "url": f"{self.api}/commits/{p}"} for p in commit.parents],
        }

    def pull_json(self, pull: Pull) -> Json:
        merged_at = pull.merged_at
        return {
            "id": pull.number,
            "number": pull.number,
            "url": f"{self.api}/pulls/{pull.number}",
            "html_url": f"{self.url}/{self.full_name}/pull/{pull.number}",
            "issue_url": f"{self.api}/issues/{pull.number}",
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "user": self.user_json(pull.user),
            "labels": [{"name": name} for name in pull.labels],
            "head": {"ref": pull.head, "sha": self.head_sha(pull), "label": f"{self.owner}:{pull.head}"},
            "base": {"ref": pull.base, "sha": self._base_sha(pull), "label": f"{self.owner}:{pull.base}"},
            "created_at": _iso(pull.created_at),
            "closed_at": _iso(pull.closed_at) if pull.closed_at else None,
            "merged_at": _iso(merged_at) if merged_at else None,
            "merged": merged_at is not None,
            "merge_commit_sha": pull.merge_commit_sha,
            "commits": len(self.pull_commits(pull.number)),
            "changed_files": len(self.changed_files(pull)),
            "requested_reviewers": [self.user_json(self.users[login]) for login in pull.requested_reviewers],
            "requested_teams": [{"slug": slug, "name": slug} for slug in pull.requested_teams],
        }

    def review_json(self, pull: Pull, review: Review) -> Json:
        return {
            "id": review.id,
            "user": self.user_json(review.user),
            "body": review.body,
            "state": review.state,
            "commit_id": review.commit_id,
            "submitted_at": _iso(review.submitted_at),
            "author_association": "COLLABORATOR" if review.user.permission != "none" else "NONE",
            "html_url": f"{self.url}/{self.full_name}/pull/{pull.number}#pullrequestreview-{review.id}",
            "pull_request_url": f"{self.api}/pulls/{pull.number}",
        }

    def run_json(self, run: WorkflowRun) -> Json:
        owner, name = run.head_repository.split("/")
        return {
            "id": run.id,
            "name": run.path.rsplit("/", 1)[-1].removesuffix(".yml"),
            "path": run.path,
            "event": run.event,
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "status": "completed",
            "conclusion": "success",
            "url": f"{self.api}/actions/runs/{run.id}",
            "html_url": f"{self.url}/{self.full_name}/actions/runs/{run.id}",
            "head_repository": {
                "id": 1 if run.head_repository == self.full_name else 2,
                "name": name,
                "full_name": run.head_repository,
                "owner": self.user_json(User(owner, "Organization")),
                "url": f"{self.url}/repos/{run.head_repository}",
            },
            "repository": self.repo_json(),
        }

    def artifact_json(self, artifact: Artifact) -> Json:
        run = artifact.run
        return {
            "id": artifact.id,
            "name": artifact.name,
            "size_in_bytes": len(artifact.zip_bytes),
            "url": f"{self.api}/actions/artifacts/{artifact.id}",
            "archive_download_url": f"{self.api}/actions/artifacts/{artifact.id}/zip",
            "expired": artifact.expired,
            "created_at": _iso(artifact.created_at),
            "expires_at": _iso(artifact.created_at + timedelta(days=30)),
            "workflow_run": {
                "id": run.id,
                "repository_id": 1,
                "head_repository_id": 1 if run.head_repository == self.full_name else 2,
                "head_branch": run.head_branch,
                "head_sha": run.head_sha,
            },
        }

    def comment_json(self, pull: Pull, comment: Comment) -> Json:
        return {
            "id": comment.id,
            "body": comment.body,
            "user": self.user_json(comment.user),
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at or comment.created_at),
            "author_association": _association(comment.user),
            "url": f"{self.api}/issues/comments/{comment.id}",
            "html_url": f"{self.url}/{self.full_name}/pull/{pull.number}#issuecomment-{comment.id}",
            "issue_url": f"{self.api}/issues/{pull.number}",
        }


@dataclass
class _Request:
    caller: User
    params: dict[str, str]
    query: dict[str, str]
    body: Any  # a JSON object, or a list for the labels endpoint


def _pull(fake: FakeGitHub, request: _Request) -> Pull:
    pull = fake.pulls.get(int(request.params["n"]))
    if pull is None:
        raise ApiError(404, "Not Found")
    return pull


def _association(user: User) -> str:
    """GitHub's author_association, as far as the fake knows people: by their role on the repository."""
    if user.type == "Bot":
        return "NONE"
    return {"admin": "OWNER", "write": "COLLABORATOR", "read": "CONTRIBUTOR"}.get(user.permission, "NONE")


def _check_body(text: object) -> None:
    if isinstance(text, str) and len(text) > BODY_LIMIT:
        raise _validation("body", f"body is too long (maximum is {BODY_LIMIT} characters)")


# --- endpoints ---------------------------------------------------------------------------------------


def get_repo(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    return 200, fake.repo_json()


def get_ref(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    name = request.params["ref"]
    if name not in fake.refs:
        raise ApiError(404, "Not Found")
    return 200, fake.ref_json(name)


def create_ref(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    ref, sha = str(request.body.get("ref", "")), str(request.body.get("sha", ""))
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if sha not in fake.commits:
        raise ApiError(422, "Object does not exist")
    if ref.removeprefix("refs/") in fake.refs:
        raise ApiError(422, "Reference already exists")
    fake.refs[ref.removeprefix("refs/")] = sha
    return 201, fake.ref_json(ref.removeprefix("refs/"))


def update_ref(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    name, sha = request.params["ref"], str(request.body.get("sha", ""))
    if name not in fake.refs:
        raise ApiError(422, "Reference does not exist")
    if sha not in fake.commits:
        raise ApiError(422, "Object does not exist")
    if not request.body.get("force") and fake.refs[name] not in fake._ancestors(sha):
        raise ApiError(422, "Update is not a fast forward")
    fake.refs[name] = sha
    return 200, fake.ref_json(name)


def delete_ref(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    name = request.params["ref"]
    if name not in fake.refs:
        raise ApiError(422, "Reference does not exist")
    for pull in fake.open_pulls():  # GitHub closes the PRs whose head branch goes away
        if f"heads/{pull.head}" == name:
            fake._close(pull)
    del fake.refs[name]
    return 204, None


def create_blob(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    content, encoding = str(request.body.get("content", "")), request.body.get("encoding", "utf-8")
    data = base64.b64decode(content) if encoding == "base64" else content.encode()
    sha = fake._store_blob(data)
    return 201, {"sha": sha, "url": f"{fake.api}/git/blobs/{sha}"}


def create_tree(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    base = request.body.get("base_tree")
    if base is not None and base not in fake.trees:
        raise _validation("base_tree", "is not a valid tree oid")
    entries = dict(fake.trees[base]) if base else {}
    for element in request.body.get("tree", []):
        path = element["path"]
        if element.get("sha", "") is None:
            entries = {p: s for p, s in entries.items() if p != path and not p.startswith(path + "/")}
        elif "content" in element:
            entries[path] = fake._store_blob(str(element["content"]).encode())
        elif element.get("sha") in fake.blobs and element.get("type") == "blob":
            entries[path] = element["sha"]
        else:
            raise _validation("tree.sha", f"{element.get('sha')} is not a valid blob")
    sha = fake._store_tree(entries)
    listing = [{"path": p, "mode": "100644", "type": "blob", "sha": s} for p, s in sorted(entries.items())]
    return 201, {"sha": sha, "url": f"{fake.api}/git/trees/{sha}", "tree": listing, "truncated": False}


def create_commit(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    tree, parents = request.body.get("tree"), list(request.body.get("parents", []))
    if tree not in fake.trees or any(p not in fake.commits for p in parents):
        raise _validation("tree", "tree or parent does not exist")
    author = request.body.get("author") or {
        "name": request.caller.login,
        "email": request.caller.noreply_email,
    }
    sha = fake._store_commit(str(tree), parents, str(request.body.get("message", "")), dict(author))
    if request.body.get("committer"):
        fake._set_committer(sha, dict(request.body["committer"]))
    custom = any(request.body.get(key) for key in ("author", "committer", "signature"))
    if request.caller.type == "Bot" and not custom:  # "Signature verification for bots"
        fake._sign(sha)
    return 201, fake.git_commit_json(fake.commits[sha])


def get_git_commit(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    commit = fake.commits.get(request.params["sha"])
    if commit is None:
        raise ApiError(404, "Not Found")
    return 200, fake.git_commit_json(commit)


def get_commit(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    try:
        sha = fake._resolve(request.params["sha"])
    except ApiError as error:
        raise ApiError(422, f"No commit found for SHA: {request.params['sha']}") from error
    return 200, {**fake.commit_json(fake.commits[sha]), "files": _changed_files(fake, sha)}


def _changed_files(fake: FakeGitHub, sha: str) -> list[dict[str, Any]]:
    """What GitHub lists under a commit's `files`: each path changed against its first parent (all of a
    root commit's), with its blob's sha (a removed file's old one)."""
    commit = fake.commits[sha]
    before = fake._tree_of(commit.parents[0]) if commit.parents else {}
    after = fake._tree_of(sha)
    files = []
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) == after.get(path):
            continue
        status = "added" if path not in before else "removed" if path not in after else "modified"
        blob = after.get(path) or before[path]
        files.append({"filename": path, "status": status, "sha": blob, "blob_url": f"{fake.url}/blob/{blob}"})
    return files


def list_commits(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    """Commits reachable from `sha` (default branch by default), newest first; with `path`, only those
    that changed it against their first parent."""
    start = fake._resolve(request.query.get("sha", fake.default_branch))
    path = request.query.get("path")
    found = []
    for sha in reversed(fake._commits_between_all(start)):
        commit = fake.commits[sha]
        if path is not None:
            before = fake._tree_of(commit.parents[0]).get(path) if commit.parents else None
            if fake._tree_of(sha).get(path) == before:
                continue
        found.append(fake.commit_json(commit))
    return 200, found


def compare(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    """`status` of head against base: identical, ahead (head has commits base lacks), behind, diverged."""
    try:
        base, head = fake._resolve(request.params["base"]), fake._resolve(request.params["head"])
    except ApiError as error:
        raise ApiError(404, "Not Found") from error
    base_ancestors, head_ancestors = fake._ancestors(base), fake._ancestors(head)
    ahead, behind = len(head_ancestors - base_ancestors), len(base_ancestors - head_ancestors)
    status = "identical" if base == head else "behind" if not ahead else "ahead" if not behind else "diverged"
    return 200, {
        "url": f"{fake.api}/compare/{base}...{head}",
        "html_url": f"{fake.url}/{fake.full_name}/compare/{base}...{head}",
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": [],
        "files": [],
    }


def commit_pulls(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    """Merged PRs that brought the commit into the default branch; else open PRs containing it."""
    sha = request.params["sha"]
    if sha not in fake.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    on_default = sha in fake._ancestors(fake.refs[f"heads/{fake.default_branch}"])
    found = []
    for pull in fake.pulls.values():
        contains = sha == pull.merge_commit_sha or sha in fake._commits_between(
            fake._base_sha(pull), fake.head_sha(pull)
        )
        merged_here = pull.merged_at is not None and pull.base == fake.default_branch
        if contains and (merged_here if on_default else pull.state == "open"):
            found.append(fake.pull_json(pull))
    return 200, found


def get_contents(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    path = request.params["path"]
    sha = fake._resolve(request.query.get("ref", fake.default_branch))
    blob = fake._tree_of(sha).get(path)
    if blob is None:
        return _list_directory(fake, path, sha)
    content = fake.blobs[blob]
    # GitHub leaves the content of a file over 1 MB out (encoding "none"): the blob API has it.
    large = len(content) > CONTENTS_API_LIMIT
    return 200, {
        "type": "file",
        "encoding": "none" if large else "base64",
        "size": len(content),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": blob,
        "content": "" if large else base64.b64encode(content).decode(),
        "url": f"{fake.api}/contents/{path}?ref={sha}",
    }


def _list_directory(fake: FakeGitHub, path: str, sha: str) -> tuple[int, Any]:
    """A folder, as GitHub lists one: its files and subfolders (without content), or 404."""
    prefix = path.rstrip("/") + "/"
    names = {p[len(prefix) :].split("/")[0]: p for p in fake._tree_of(sha) if p.startswith(prefix)}
    if not names:
        raise ApiError(404, "Not Found")
    return 200, [
        {
            "type": "file" if full == prefix + name else "dir",
            "name": name,
            "path": prefix + name,
            "sha": fake._tree_of(sha).get(full, ""),
            "url": f"{fake.api}/contents/{prefix}{name}?ref={sha}",
        }
        for name, full in sorted(names.items())
    ]


def list_pulls(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    state, head, base = (
        request.query.get("state", "open"),
        request.query.get("head"),
        request.query.get("base"),
    )
    found = []
    for pull in sorted(fake.pulls.values(), key=lambda p: -p.number):
        if state != "all" and pull.state != state:
            continue
        if head is not None and head != f"{fake.owner}:{pull.head}":
            continue
        if base is not None and base != pull.base:
            continue
        found.append(fake.pull_json(pull))
    return 200, found


def create_pull(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    if fake.forbid_pull_creation and request.caller.type == "Bot":
        raise ApiError(403, NOT_PERMITTED)
    body = request.body
    if not body.get("title"):
        raise _validation("title", "missing")
    _check_body(body.get("body"))
    head = str(body.get("head", "")).removeprefix(f"{fake.owner}:")
    number = fake._create_pull(
        request.caller, head, str(body.get("base", "")), body["title"], body.get("body")
    )
    return 201, fake.pull_json(fake.pulls[number])


def get_pull(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    return 200, fake.pull_json(_pull(fake, request))


def edit_pull(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    _check_body(request.body.get("body"))
    if "title" in request.body:
        pull.title = request.body["title"]
    if "body" in request.body:
        pull.body = request.body["body"]
    if request.body.get("state") == "closed":
        fake._close(pull)
    return 200, fake.pull_json(pull)


def list_pull_commits(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    return 200, [fake.commit_json(c) for c in fake.pull_commits(pull.number)]


def list_pull_files(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    return 200, fake.changed_files(_pull(fake, request))


def list_reviews(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    return 200, [fake.review_json(pull, review) for review in pull.reviews]


def request_reviewers(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    reviewers, teams = list(request.body.get("reviewers", [])), list(request.body.get("team_reviewers", []))
    if pull.user.login in reviewers:
        raise _validation("reviewers", "Review cannot be requested from pull request author.")
    known = [u for u in reviewers if u in fake.users and fake.users[u].permission != "none"]
    if len(known) != len(reviewers) or any(team not in fake.teams for team in teams):
        raise _validation(
            "reviewers",
            "Reviews may only be requested from collaborators. One or more of the users or teams you"
            f" specified is not a collaborator of the {fake.full_name} repository.",
        )
    pull.requested_reviewers += [r for r in reviewers if r not in pull.requested_reviewers]
    pull.requested_teams += [t for t in teams if t not in pull.requested_teams]
    return 201, fake.pull_json(pull)


def list_comments(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    return 200, [fake.comment_json(pull, comment) for comment in pull.comments]


def create_comment(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    _check_body(request.body.get("body"))
    comment = Comment(fake._next_id(), request.caller, str(request.body.get("body", "")), fake._now())
    pull.comments.append(comment)
    return 201, fake.comment_json(pull, comment)


def get_comment(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    wanted = int(request.params["id"])
    for pull in fake.pulls.values():
        for comment in pull.comments:
            if comment.id == wanted:
                return 200, fake.comment_json(pull, comment)
    raise ApiError(404, "Not Found")


def get_blob(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    content = fake.blobs.get(request.params["sha"])
    if content is None:
        raise ApiError(404, "Not Found")
    return 200, {
        "sha": request.params["sha"],
        "size": len(content),
        "encoding": "base64",
        "content": base64.b64encode(content).decode(),
        "url": f"{fake.api}/git/blobs/{request.params['sha']}",
    }


def add_labels(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    pull = _pull(fake, request)
    # PyGithub sends a bare list; GitHub also takes {"labels": [...]}.
    body = request.body
    for name in body if isinstance(body, list) else body.get("labels", []):
        fake.labels.add(name)  # GitHub creates a label that does not exist yet
        if name not in pull.labels:
            pull.labels.append(name)
    return 200, [
        {"name": name, "color": "ededed", "url": f"{fake.api}/labels/{name}"} for name in pull.labels
    ]


def get_permission(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    user = fake.users.get(request.params["login"])
    if user is None:
        raise ApiError(404, "Not Found")
    return 200, {"permission": user.permission, "role_name": user.permission, "user": fake.user_json(user)}


def list_artifacts(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    name = request.query.get("name")
    found = [
        fake.artifact_json(a)
        for a in sorted(fake.artifacts.values(), key=lambda a: -a.id)
        if name is None or a.name == name
    ]
    return 200, {"total_count": len(found), "artifacts": found}


def get_run(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    run = fake.runs.get(int(request.params["id"]))
    if run is None:
        raise ApiError(404, "Not Found")
    return 200, fake.run_json(run)


def download_artifact(fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    """GitHub answers with a redirect to a short-lived URL on its storage host, or 410 once expired."""
    artifact = fake.artifacts.get(int(request.params["id"]))
    if artifact is None:
        raise ApiError(404, "Not Found")
    if artifact.expired:
        raise ApiError(410, "Artifact has expired")
    storage = fake.url.replace("127.0.0.1", "localhost")  # another host name for the same server
    return 302, {"Location": f"{storage}{STORAGE_PREFIX}{artifact.id}?sig=short-lived"}


STORAGE_PREFIX = "/artifact-storage/"

_Handler = Callable[[FakeGitHub, _Request], tuple[int, Any]]
_ROUTES: list[tuple[str, str, _Handler]] = [
    ("GET", r"", get_repo),
    ("GET", r"/git/ref/(?P<ref>.+)", get_ref),
    ("POST", r"/git/refs", create_ref),
    ("PATCH", r"/git/refs/(?P<ref>.+)", update_ref),
    ("DELETE", r"/git/refs/(?P<ref>.+)", delete_ref),
    ("POST", r"/git/blobs", create_blob),
    ("GET", r"/git/blobs/(?P<sha>[0-9a-f]+)", get_blob),
    ("POST", r"/git/trees", create_tree),
    ("POST", r"/git/commits", create_commit),
    ("GET", r"/git/commits/(?P<sha>[0-9a-f]+)", get_git_commit),
    ("GET", r"/commits", list_commits),
    ("GET", r"/commits/(?P<sha>[^/]+)", get_commit),
    ("GET", r"/compare/(?P<base>[^/]+?)\.\.\.(?P<head>[^/]+)", compare),
    ("GET", r"/commits/(?P<sha>[0-9a-f]+)/pulls", commit_pulls),
    ("GET", r"/contents/(?P<path>.+)", get_contents),
    ("GET", r"/pulls", list_pulls),
    ("POST", r"/pulls", create_pull),
    ("GET", r"/pulls/(?P<n>\d+)", get_pull),
    ("PATCH", r"/pulls/(?P<n>\d+)", edit_pull),
    ("GET", r"/pulls/(?P<n>\d+)/commits", list_pull_commits),
    ("GET", r"/pulls/(?P<n>\d+)/files", list_pull_files),
    ("GET", r"/pulls/(?P<n>\d+)/reviews", list_reviews),
    ("POST", r"/pulls/(?P<n>\d+)/requested_reviewers", request_reviewers),
    ("GET", r"/issues/(?P<n>\d+)/comments", list_comments),
    ("GET", r"/issues/comments/(?P<id>\d+)", get_comment),
    ("POST", r"/issues/(?P<n>\d+)/comments", create_comment),
    ("POST", r"/issues/(?P<n>\d+)/labels", add_labels),
    ("GET", r"/collaborators/(?P<login>[^/]+)/permission", get_permission),
    ("GET", r"/actions/artifacts", list_artifacts),
    ("GET", r"/actions/artifacts/(?P<id>\d+)/zip", download_artifact),
    ("GET", r"/actions/runs/(?P<id>\d+)", get_run),
]


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every call.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path.startswith(STORAGE_PREFIX):
                self._serve_storage()
                return
            status, payload = fake.handle(
                self.command,
                self.path,
                json.loads(raw) if raw else None,
                self.headers.get("Authorization", ""),
            )
            if status == 302:
                self.send_response(status)
                self.send_header("Location", payload["Location"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = b"" if payload is None else json.dumps(payload).encode()
            self._send(status, data, "application/json; charset=utf-8")

        def _serve_storage(self) -> None:
            """The storage host: the signed URL is the only credential it takes."""
            if self.headers.get("Authorization"):
                with fake.lock:
                    fake.storage_authorizations.append(self.headers["Authorization"])
                self._send(400, b"Authorization not accepted", "text/plain")
                return
            artifact_id = urlsplit(self.path).path.removeprefix(STORAGE_PREFIX)
            artifact = fake.artifacts.get(int(artifact_id)) if artifact_id.isdigit() else None
            if artifact is None:
                self._send(404, b"not found", "text/plain")
                return
            self._send(200, artifact.zip_bytes, "application/zip")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
