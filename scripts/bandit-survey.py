#!/usr/bin/env python3
"""Survey Bandit's HIGH and MEDIUM tests, and ruff's matching S rules, on the
real-world corpus, and write docs/bandit-high-medium.md: counts per code and
package, where the two tools disagree and why, every call site classified for
what a fix would have to know, semantics probes, and a recommendation per code.

usage: scripts/bandit-survey.py [--no-extra] [--reuse] [--out FILE] [--work DIR]

Everything it needs is installed on the way: the pinned Bandit and ruff
(scripts/python-env.sh), the pinned corpus (scripts/corpus.sh all), and, unless
--no-extra, a supplement of five more ML packages pinned below by version and
sha256 (downloaded with the venv's pip into the cache, never committed).
Raw tool outputs go to WORK (default: <cache>/survey); --reuse reads them
instead of running the tools again. The report's prose lives in this file, so
the whole report is regenerated.
"""

import argparse
import ast
import collections
import dataclasses
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent

# --------------------------------------------------------------------------
# What is surveyed

# Bandit test -> (ruff code or None, one-line description)
CODES = {
    "B324": ("S324", "hashlib weak hash (md4, md5, sha, sha1) without usedforsecurity=False"),
    "B303": ("S303", "weak hash from Crypto / Cryptodome / cryptography"),
    "B602": ("S602", "subprocess call with shell=True"),
    "B604": ("S604", "any other call with shell=True"),
    "B605": ("S605", "os.system / os.popen / subprocess.getoutput: always a shell"),
    "B701": ("S701", "jinja2.Environment without autoescape"),
    "B202": ("S202", "tarfile extractall without filter='data'"),
    "B506": ("S506", "yaml.load without a safe Loader"),
    "B301": ("S301", "pickle, dill, shelve, jsonpickle, pandas.read_pickle"),
    "B108": ("S108", "hardcoded /tmp, /var/tmp, /dev/shm"),
    "B103": ("S103", "chmod with a permissive mode"),
    "B307": ("S307", "eval"),
    "B102": ("S102", "exec"),
    "B104": ("S104", "the string '0.0.0.0'"),
    "B310": ("S310", "urllib urlopen / urlretrieve: any scheme"),
    "B313": ("S313", "xml.etree.cElementTree parsing"),
    "B314": ("S314", "xml.etree.ElementTree parsing"),
    "B315": ("S315", "xml.sax.expatreader"),
    "B316": ("S316", "xml.dom.expatbuilder"),
    "B317": ("S317", "xml.sax parsing"),
    "B318": ("S318", "xml.dom.minidom parsing"),
    "B319": ("S319", "xml.dom.pulldom parsing"),
    "B613": ("PLE2502", "bidirectional control characters (Trojan Source)"),
    "B608": ("S608", "SQL built from strings"),
}
RUFF_TO_BANDIT = {ruff: bandit for bandit, (ruff, _) in CODES.items() if ruff}
XML_CODES = ["B313", "B314", "B315", "B316", "B317", "B318", "B319"]

# The supplement: ML packages with the constructs the pinned corpus lacks
# (jinja2 environments, tar extraction, XML parsing, more weak hashes).
EXTRA = [
    (
        "lm-eval",
        "0.4.13",
        "lm_eval-0.4.13-py3-none-any.whl",
        "5daaa1973bf874005f64f28d3834b875f6886f0d6475878e6a6c821994a5286a",
    ),
    (
        "keras",
        "3.15.1",
        "keras-3.15.1-py3-none-any.whl",
        "836460e480930acbd19bb7a17e62f9ecad40e8a9af9a651fc8d0586a96d27e20",
    ),
    (
        "datasets",
        "5.2.0",
        "datasets-5.2.0-py3-none-any.whl",
        "4be9e2882caaf5db13eadc39e93f3da2a995187b99acebac1595bf6c58dfa927",
    ),
    (
        "nltk",
        "3.10.4",
        "nltk-3.10.4-py3-none-any.whl",
        "769ba5413f265b7d3e87cd163cc28efa01e29eeef8bb6080bc907949d9fcfb51",
    ),
    (
        "pandas",
        "3.1.1",
        "pandas-3.1.1-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        "4f1602f614bb83f443381dbcbb94c4ac764b2e50c8d6c965614c5cd83e328c47",
    ),
]

# Directories ruff skips by default (its `exclude` list) that hold corpus files.
RUFF_DEFAULT_EXCLUDES = {
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "build",
}


def log(*args):
    print("survey:", *args, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


# --------------------------------------------------------------------------
# Setup: tools, corpus, supplement


def cache_dir():
    base = os.environ.get("REMEDIATE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "remediate"
    )
    return Path(base)


def setup_venv(arg):
    if arg:
        return Path(arg)
    return Path(sh([str(HERE / "python-env.sh")]).strip().splitlines()[-1])


def setup_corpus():
    """(split, package dir) for every pinned package, dev and perf."""
    out = []
    for split in ("dev", "perf"):
        for line in sh([str(HERE / "corpus.sh"), "--list", split]).split():
            out.append((split, Path(line)))
    return out


def setup_extra(venv, work):
    """Download, check and unpack the supplement's .py files."""
    wheels = work / "extra-wheels"
    root = work / "extra"
    wheels.mkdir(parents=True, exist_ok=True)
    out = []
    for name, version, wheel, sha in EXTRA:
        dest = root / f"{wheel.split('-')[0]}-{version}"
        out.append(("extra", dest))
        if dest.is_dir():
            continue
        path = wheels / wheel
        if not path.exists():
            log(f"downloading {name}=={version}")
            subprocess.run(
                [
                    str(venv / "bin" / "pip"),
                    "download",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--python-version",
                    "3.11",
                    "--platform",
                    "manylinux_2_28_x86_64",
                    "-q",
                    "-d",
                    str(wheels),
                    f"{name}=={version}",
                ],
                check=True,
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != sha:
            sys.exit(f"survey: {wheel}: sha256 {digest}, expected {sha}")
        tmp = Path(tempfile.mkdtemp(dir=work))
        with zipfile.ZipFile(path) as z:
            for member in z.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    z.extract(member, tmp)
        root.mkdir(parents=True, exist_ok=True)
        tmp.rename(dest)
    return out


# --------------------------------------------------------------------------
# Running the tools


@dataclasses.dataclass
class Finding:
    tool: str  # "bandit" or "ruff"
    code: str  # the tool's own code: B324, S324, PLE2502
    family: str  # the Bandit code it belongs to
    split: str  # dev, perf, extra
    pkg: str
    path: str  # relative to the package directory
    line: int
    col: int  # 0-based character column
    severity: str = ""
    confidence: str = ""
    text: str = ""
    hidden: str = ""  # ruff: why the exact command does not show it ("noqa", "excluded dir")
    anchor: tuple = ()
    site: "Site" = None


def bandit_cmd(venv, target):
    return [str(venv / "bin" / "bandit"), "-q", "-f", "json", "-t", ",".join(CODES), "-r", str(target)]


def ruff_cmd(venv, target, everything=False):
    codes = ",".join(r for r, _ in CODES.values() if r)
    extra = ["--config", "exclude=[]", "--ignore-noqa"] if everything else []
    return [
        str(venv / "bin" / "ruff"),
        "check",
        "--no-cache",
        "--isolated",
        *extra,
        "--select",
        codes,
        "--output-format",
        "json",
        str(target),
    ]


def run_json(cmd, out_file, reuse):
    if reuse and out_file.exists():
        return json.loads(out_file.read_text())
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"survey: {' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    out_file.write_text(proc.stdout)
    return json.loads(proc.stdout)


def collect(venv, packages, work, reuse):
    raw = work / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    findings = []
    files = {}
    for split, pkg_dir in packages:
        pkg = pkg_dir.name
        files[pkg] = (split, sum(1 for _ in pkg_dir.rglob("*.py")))
        log(f"{pkg}: bandit")
        b = run_json(bandit_cmd(venv, pkg_dir), raw / f"bandit-{pkg}.json", reuse)
        for r in b["results"]:
            findings.append(
                Finding(
                    "bandit",
                    r["test_id"],
                    r["test_id"],
                    split,
                    pkg,
                    os.path.relpath(r["filename"], pkg_dir),
                    r["line_number"],
                    r["col_offset"],
                    r["issue_severity"],
                    r["issue_confidence"],
                    r["issue_text"],
                )
            )
        log(f"{pkg}: ruff")
        given = run_json(ruff_cmd(venv, pkg_dir), raw / f"ruff-{pkg}.json", reuse)
        shown = collections.Counter(
            (r["filename"], r["code"], r["location"]["row"], r["location"]["column"]) for r in given
        )
        for r in run_json(ruff_cmd(venv, pkg_dir, True), raw / f"ruff-all-{pkg}.json", reuse):
            key = (r["filename"], r["code"], r["location"]["row"], r["location"]["column"])
            rel = os.path.relpath(r["filename"], pkg_dir)
            hidden = ""
            if shown[key]:
                shown[key] -= 1
            elif set(Path(rel).parts[:-1]) & RUFF_DEFAULT_EXCLUDES:
                hidden = "excluded dir"
            else:
                hidden = "noqa"
            findings.append(
                Finding(
                    "ruff",
                    r["code"],
                    RUFF_TO_BANDIT[r["code"]],
                    split,
                    pkg,
                    rel,
                    r["location"]["row"],
                    r["location"]["column"] - 1,
                    text=r["message"],
                    hidden=hidden,
                )
            )
    return findings, files


# --------------------------------------------------------------------------
# Reading the call sites


class Source:
    """One parsed file: text, lines, AST with parents."""

    cache = {}

    def __init__(self, path):
        data = Path(path).read_bytes()
        self.text = data.decode("utf-8", errors="replace")
        self.lines = self.text.splitlines()
        # ast's lines: \n, \r\n and \r, as the tokenizer counts them.
        self.tree = ast.parse(data)
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                child.parent = node
        self.imports = imported_names(self.tree)

    @classmethod
    def get(cls, path):
        if path not in cls.cache:
            try:
                cls.cache[path] = Source(path)
            except SyntaxError:
                cls.cache[path] = None
        return cls.cache[path]


def imported_names(tree):
    """Local name -> dotted origin, from every import in the file."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    names[a.asname] = a.name
                else:
                    names[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = "." * node.level + node.module + "." + a.name
    return names


def dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def qualname(src, func):
    """The call's function as a dotted name, imports resolved."""
    name = dotted(func)
    if not name:
        return None
    head, _, rest = name.partition(".")
    if head in src.imports:
        head = src.imports[head]
    return head + ("." + rest if rest else "")


def last_name(func):
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def keyword(call, name):
    for k in call.keywords:
        if k.arg == name:
            return k
    return None


def has_star_kwargs(call):
    return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)


def span(node):
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def contains(node, line, col):
    if not hasattr(node, "lineno"):
        return False
    start = (node.lineno, node.col_offset)
    end = (node.end_lineno, node.end_col_offset)
    return start <= (line, col) < end or (node.lineno <= line <= node.end_lineno and col < 0)


CALLEES = {
    "B324": {"md4", "md5", "sha", "sha1", "new", "crypt", "mksalt"},
    "B303": {"new", "MD5", "SHA1"},
    "B605": {"system", "popen", "popen2", "popen3", "popen4", "getoutput", "getstatusoutput", "Popen3", "Popen4"},
    "B701": {"Environment"},
    "B202": {"extractall"},
    "B506": {"load"},
    "B301": {"load", "loads", "Unpickler", "open", "DbfilenameShelf", "decode", "read_pickle"},
    "B307": {"eval"},
    "B102": {"exec"},
    "B310": {"urlopen", "urlretrieve", "URLopener", "FancyURLopener", "Request"},
    **{
        c: {"parse", "iterparse", "fromstring", "XMLParser", "create_parser", "parseString", "make_parser"}
        for c in XML_CODES
    },
}
STRING_FAMILIES = {"B104", "B108", "B608"}


def is_target_call(family, node):
    if not isinstance(node, ast.Call):
        return False
    if family in ("B602", "B604"):
        return keyword(node, "shell") is not None
    if family == "B103":
        return "chmod" in (last_name(node.func) or "")
    return last_name(node.func) in CALLEES.get(family, ())


def enclosing_statement(node):
    while node is not None and not isinstance(node, ast.stmt):
        node = getattr(node, "parent", None)
    return node


@dataclasses.dataclass
class Site:
    src: Source
    node: ast.AST  # the call, or the string
    stmt: ast.AST
    where: str  # pkg/path:line

    def code(self, limit=170):
        lines = self.src.lines[self.node.lineno - 1 : self.node.end_lineno]
        text = " ".join(x.strip() for x in lines) if len(lines) <= 4 else lines[0].strip() + " ..."
        return text if len(text) <= limit else text[: limit - 3] + "..."


def locate(f, pkg_dir):
    """The AST node a finding is about, and the anchor used to pair tools."""
    src = Source.get(str(pkg_dir / f.path))
    if f.family == "B613" or src is None:
        f.anchor = (f.family, f.pkg, f.path, f.line)
        return None
    candidates = []
    for node in ast.walk(src.tree):
        if not hasattr(node, "lineno"):
            continue
        if f.family in STRING_FAMILIES:
            ok = isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call))
        else:
            ok = is_target_call(f.family, node)
        if ok and node.lineno <= f.line <= node.end_lineno:
            candidates.append(node)
    if not candidates:
        f.anchor = (f.family, f.pkg, f.path, f.line)
        return None
    exact = [n for n in candidates if (n.lineno, n.col_offset) == (f.line, f.col)]
    inside = [n for n in candidates if contains(n, f.line, f.col)]
    pool = exact or inside or candidates
    node = min(
        pool,
        key=lambda n: (n.end_lineno - n.lineno, n.end_col_offset - n.col_offset if n.end_lineno == n.lineno else 0),
    )
    stmt = enclosing_statement(node)
    if f.family in STRING_FAMILIES:
        f.anchor = (f.family, f.pkg, f.path, span(stmt) if stmt else f.line)
    else:
        f.anchor = (f.family, f.pkg, f.path, span(node))
    return Site(src, node, stmt, f"{f.pkg}/{f.path}:{node.lineno}")


# --------------------------------------------------------------------------
# Pairing Bandit with ruff, and why they differ


def pair(findings):
    """Group by anchor: (bandit findings, ruff findings) per site."""
    groups = collections.defaultdict(lambda: ([], []))
    for f in findings:
        groups[f.anchor][0 if f.tool == "bandit" else 1].append(f)
    return groups


def why_differs(family, site, bandit, ruff):
    """A sentence on why one tool reports this site and the other does not."""
    node = site.node if site else None
    src = site.src if site else None
    if ruff and not bandit:
        if family == "B310" and isinstance(node, ast.Call) and last_name(node.func) == "Request":
            return "ruff also checks `urllib.request.Request(...)`; Bandit lists only the open/retrieve calls"
        if family == "B202" and isinstance(node, ast.Call):
            members = keyword(node, "members")
            if (
                members is not None
                and isinstance(members.value, ast.Call)
                and not isinstance(members.value.func, ast.Name)
            ):
                return (
                    "Bandit crashes on `members=obj.method(...)` (its plugin reads `.func.id`) and "
                    "drops the finding; it logs an internal error and exits as usual"
                )
        if family == "B103":
            return "ruff evaluates the mode expression; Bandit needs an int literal as the second argument"
        if family == "B608":
            return sql_difference(site) or "the two SQL patterns differ"
        return "unexplained"
    if bandit and not ruff:
        if family == "B701" and isinstance(node, ast.Call):
            head = (dotted(node.func) or "").split(".")[0]
            if head and head not in src.imports:
                binding = module_binding(src, head)
                return (
                    f"`{head}` is a variable here (`{binding}`), not an import: ruff resolves names only "
                    "through imports, Bandit goes by the spelling"
                )
        if family == "B604" and isinstance(node, ast.Call):
            shell = keyword(node, "shell")
            if shell is not None and not isinstance(shell.value, ast.Constant):
                return (
                    f"`shell={ast.unparse(shell.value)}`: Bandit counts any non-constant value as true, "
                    "ruff only a truthy literal"
                )
        if family == "B103" and isinstance(node, ast.Call):
            if last_name(node.func) != "chmod":
                name = last_name(node.func)
                return f"Bandit matches any function whose name holds `chmod` (`{name}`); ruff only `os.chmod`"
            mode = node.args[1] if len(node.args) > 1 else None
            if isinstance(mode, ast.Constant) and isinstance(mode.value, int) and not (mode.value & 0o12):
                return (
                    f"mode `{oct(mode.value)}`: Bandit flags group write or other execute too; ruff only "
                    "other write or group execute"
                )
        if family == "B310" and isinstance(node, ast.Call) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Name):
                value = assigned_literal(src, node, arg.id)
                if value and re.match(r"\s*https?://", value):
                    return (
                        "ruff resolves the URL variable to an `http(s)://` literal and skips it; "
                        "Bandit flags every call"
                    )
        if family == "B608":
            return sql_difference(site) or "the two SQL patterns differ"
        return "unexplained"
    return ""


def module_binding(src, name):
    for n in ast.walk(src.tree):
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
            return ast.unparse(n)[:70]
    return "?"


def sql_difference(site):
    """Which of the two tools' SQL patterns tells this string apart."""
    if site is None or site.stmt is None:
        return ""
    texts = []
    for n in ast.walk(site.stmt):
        parts = literal_parts(n)
        if parts:
            texts.append(parts[0])
    text = " ".join(texts)
    if re.search(r"(?is)\breplace\s.*\svalues\s", text) and not re.search(r"(?is)insert\s+into\s", text):
        return (
            'ruff\'s pattern also covers `replace ... values` (here: "replace missing values"); '
            "Bandit's only `insert into ... values`"
        )
    if re.search(r"(?is)\bupdate\s.*\Bset\s", text) and not re.search(r"(?is)\bupdate\s+.*\s+set\s", text):
        return 'Bandit\'s pattern has no word boundary before `set`: "update the data*set* " reads as `UPDATE ... SET`'
    return ""


def assigned_literal(src, node, name):
    """The string literal last assigned to `name` before `node` in its function."""
    scope = node
    while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        scope = getattr(scope, "parent", None)
    value = None
    for n in ast.walk(scope):
        if isinstance(n, ast.Assign) and n.lineno < node.lineno:
            for t in n.targets:
                if (
                    isinstance(t, ast.Name)
                    and t.id == name
                    and isinstance(n.value, ast.Constant)
                    and isinstance(n.value.value, str)
                ):
                    value = n.value.value
    return value


# --------------------------------------------------------------------------
# Classifying the sites: what a fix would have to know


def words_around(site):
    """Identifiers near the site: enclosing function, assignment targets, the line."""
    out = []
    node = site.node
    while node is not None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(node.name)
            break
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.extend(ast.unparse(t) for t in targets)
        node = getattr(node, "parent", None)
    out.append(site.code(400))
    return " ".join(out).lower()


SECURITY_WORDS = re.compile(
    r"passw|passwd|secret|token|signat|\bsign|hmac|auth|salt|credential|nonce|csrf|"
    r"session|private|verify_sig"
)
FINGERPRINT_WORDS = re.compile(
    r"cache|fingerprint|dedup|short|subfolder|file_hash|_hash\b|hash_function|"
    r"filename|\bname\b|\bid\b|\bkey\b|bucket|hexdigest\(\)\["
)
INTEGRITY_WORDS = re.compile(r"checksum|integrity|md5_hex|hasher|file_hash|verify|validate_file")


def classify_b324(site):
    call = site.node
    q = qualname(site.src, call.func) or ""
    form = {
        "new": "`hashlib.new(name)`",
    }.get(
        last_name(call.func),
        "`hashlib.<weak>()`"
        if q.startswith("hashlib.") and "." in dotted(call.func)
        else "`from hashlib import <weak>`",
    )
    if last_name(call.func) in ("crypt", "mksalt"):
        form = "`crypt`"
    data = (
        "data passed positionally"
        if (call.args[1:] if last_name(call.func) == "new" else call.args)
        else "no data argument"
    )
    ufs = keyword(call, "usedforsecurity")
    ufs_text = "no usedforsecurity" if ufs is None else f"usedforsecurity={ast.unparse(ufs.value)}"
    if has_star_kwargs(call):
        ufs_text += ", `**kwargs`"
    w = words_around(site)
    if "test" in site.where.split(":")[0].rsplit("/", 1)[-1]:
        cls = "test code"
    elif SECURITY_WORDS.search(w):
        cls = "security"
    elif INTEGRITY_WORDS.search(w):
        cls = "integrity check"
    elif FINGERPRINT_WORDS.search(w):
        cls = "fingerprint / cache key"
    else:
        cls = "unclear"
    return cls, f"{form}, {data}, {ufs_text}"


SHELL_SYNTAX = [
    ("|", "pipe"),
    (">", "redirection"),
    ("<", "redirection"),
    (";", "separator"),
    ("&", "and/background"),
    ("$", "expansion"),
    ("`", "command substitution"),
    ("*", "glob"),
    ("?", "glob"),
    ("~", "tilde"),
    ("(", "subshell"),
]


def literal_parts(node):
    """The literal text of a str constant, f-string, %-format or .format call,
    with the number of run-time parts; None when not string-like."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, 0
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)
        return text, text.count("\0")
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
    ):
        text = re.sub(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[a-zA-Z]", "\0", node.left.value.replace("%%", "%"))
        return text, text.count("\0")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_parts(node.left), literal_parts(node.right)
        left = left or ("\0", 1)
        right = right or ("\0", 1)
        return left[0] + right[0], left[1] + right[1]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        text = re.sub(r"\{[^{}]*\}", "\0", node.func.value.value)
        return text, text.count("\0")
    return None


def placeholder_contexts(text):
    """For each run-time part (NUL) of a command: 'unquoted', 'single' or 'double'."""
    out, quote, i = [], None, 0
    while i < len(text):
        c = text[i]
        if quote is None:
            if c in "'\"":
                quote = c
            elif c == "\\":
                i += 1
            elif c == "\0":
                out.append("unquoted")
        elif quote == "'":
            if c == "'":
                quote = None
            elif c == "\0":
                out.append("single")
        else:
            if c == '"':
                quote = None
            elif c == "\\":
                i += 1
            elif c == "\0":
                out.append("double")
        i += 1
    return out


def argv_template(text):
    """The argument list a fix would write: words of the literal text, `{}` for run-time parts."""
    marker = "\ue000"
    try:
        words = shlex.split(text.replace("\0", marker))
    except ValueError:
        return None
    return [w.replace(marker, "{}") for w in words]


def shell_syntax(text):
    found = []
    for ch, what in SHELL_SYNTAX:
        if ch in text.replace("\0", "") and what not in found:
            found.append(what)
    return found


def classify_shell(site, family):
    call = site.node
    q = qualname(site.src, call.func) or last_name(call.func)
    if family == "B604":
        shell = keyword(call, "shell")
        if not isinstance(shell.value, ast.Constant):
            return "not a process call", f"`{q}(..., shell={ast.unparse(shell.value)})`"
    if not call.args:
        return "no command argument", q
    arg = call.args[0]
    if isinstance(arg, (ast.List, ast.Tuple)):
        return "list with shell=True", "the list's first item is the script, the rest are $0, $1..."
    parts = literal_parts(arg)
    if parts is None:
        return "computed command", f"`{ast.unparse(arg)[:60]}`"
    text, dynamic = parts
    syntax = shell_syntax(text)
    if dynamic == 0:
        try:
            shlex.split(text)
        except ValueError:
            return "literal, shell syntax", "unbalanced quotes"
        if syntax or re.search(r"[\\'\"#{}\[\]\n\r]", text):
            return "literal, shell syntax", ", ".join(syntax) or "quotes, escapes or braces"
        return "literal, plain words", f"-> `{shlex.split(text)}`"
    if syntax:
        return "interpolated, shell syntax", ", ".join(syntax)
    contexts = placeholder_contexts(text)
    template = argv_template(text)
    if template is None:
        return "interpolated, shell syntax", "quotes or escapes shlex cannot split"
    if all(c != "unquoted" for c in contexts):
        return "interpolated, every value quoted", f"-> `{template}`"
    return "interpolated, unquoted values", f"-> `{template}`"


def classify_b701(site):
    call = site.node
    auto = keyword(call, "autoescape")
    state = "no autoescape" if auto is None else f"autoescape={ast.unparse(auto.value)}"
    # What the environment renders: template names loaded, from_string use.
    text = site.src.text
    uses_from_string = "from_string(" in text
    names = re.findall(r"get_template\(\s*[\"']([^\"']+)[\"']", text)
    html_names = [n for n in names if n.rsplit(".", 1)[-1] in ("html", "htm", "xml")]
    renders = []
    if names:
        renders.append("file templates " + ", ".join(sorted(set(names)))[:80])
    if uses_from_string:
        renders.append("string templates (`from_string`)")
    if uses_from_string:
        change = "select_autoescape() changes output (string templates get escaped)"
    elif html_names:
        change = "select_autoescape() changes output (.html/.xml templates get escaped)"
    elif names:
        change = "select_autoescape() keeps output (no .html/.htm/.xml template name)"
    else:
        change = "unknown templates"
    return change, f"{state}; renders {', '.join(renders) or 'unknown'}"


def classify_b202(site):
    call = site.node
    filt = keyword(call, "filter")
    members = keyword(call, "members")
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    origin = "unknown archive"
    if isinstance(receiver, ast.Name):
        for n in ast.walk(site.src.tree):
            value = None
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == receiver.id for t in n.targets):
                value = n.value
            elif (
                isinstance(n, ast.withitem)
                and isinstance(n.optional_vars, ast.Name)
                and n.optional_vars.id == receiver.id
            ):
                value = n.context_expr
            if isinstance(value, ast.Call):
                origin = qualname(site.src, value.func) or origin
    kind = "zip/rar archive" if "zip" in origin.lower() or "rar" in origin.lower() else "tar archive"
    if "unknown" in origin:
        kind = "archive of unknown type"
    extras = []
    if filt is not None:
        extras.append(f"filter={ast.unparse(filt.value)}")
    if members is not None:
        extras.append(f"`members={ast.unparse(members.value)[:50]}`")
    if has_star_kwargs(call):
        extras.append("`**kwargs`")
    cls = kind + (", members validated" if members is not None else ", no validation")
    return cls, f"receiver from `{origin}`; " + (", ".join(extras) or "no filter, no members")


def classify_b506(site):
    call = site.node
    loader = keyword(call, "Loader")
    value = loader.value if loader is not None else (call.args[1] if len(call.args) > 1 else None)
    if value is None:
        if has_star_kwargs(call):
            return "Loader passed through `**kwargs`", f"`{ast.unparse(call)[:80]}`"
        return "no Loader", "yaml.load(stream) with no Loader: TypeError on PyYAML >= 6"
    name = ast.unparse(value)
    base = name.rsplit(".", 1)[-1]
    if base in ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"):
        return "safe Loader", name
    if base in ("Loader", "CLoader", "UnsafeLoader", "CUnsafeLoader", "FullLoader", "CFullLoader"):
        return f"unsafe Loader ({base})", name
    return "custom Loader", name


def classify_b301(site):
    call = site.node
    q = qualname(site.src, call.func) or ""
    arg = call.args[0] if call.args else None
    text = ast.unparse(arg) if arg is not None else ""
    if arg is not None and isinstance(arg, ast.Call) and last_name(arg.func) == "dumps":
        return "round trip of own object", ast.unparse(call)[:80]
    if "dist" in site.where or "buf" in text or "tensor" in text or "recv" in text:
        return "between own processes", ast.unparse(call)[:80]
    if has_star_kwargs(call) or "handler" in site.where or "fileobj" in words_around(site):
        return "generic loader API (caller's file)", ast.unparse(call)[:80]
    if "/tests/" in "/" + site.where or "test_" in site.where:
        return "test code", ast.unparse(call)[:80]
    return "file or bytes from elsewhere", f"{q}({text[:50]})"


def classify_b108(site):
    node = site.node
    text = None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    stmt_text = ast.unparse(site.stmt)[:100] if site.stmt else ""
    if "/tests/" in "/" + site.where or "/test_" in site.where:
        cls = "test code"
    elif text is None:
        cls = "computed"
    elif text.startswith("/dev/shm"):
        cls = "/dev/shm (shared memory, no tempfile equivalent)"
    elif isinstance(getattr(node, "parent", None), ast.BinOp) or isinstance(node, ast.JoinedStr):
        cls = "prefix of a built path"
    elif text.rstrip("/") in ("/tmp", "/var/tmp"):
        cls = "the temp directory itself"
    else:
        cls = "fixed file name in /tmp"
    return cls, f"`{text!r}` in `{stmt_text}`"


def classify_b103(site):
    call = site.node
    mode = call.args[1] if len(call.args) > 1 else (keyword(call, "mode").value if keyword(call, "mode") else None)
    value = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, int) else None
    if value is None:
        return "computed mode", ast.unparse(call)[:80]
    bits = []
    if value & 0o002:
        bits.append("world-writable")
    if value & 0o020:
        bits.append("group-writable")
    if value & 0o011:
        bits.append("executable by group/others")
    return ", ".join(bits) or "other", f"{last_name(call.func)}(..., {oct(value)})"


def classify_eval_exec(site, family):
    call = site.node
    if not call.args:
        return "no argument", ""
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        try:
            tree = ast.parse(arg.value, mode="eval")
            ast.literal_eval(tree)
            return "literal data (ast.literal_eval works)", repr(arg.value)[:60]
        except (SyntaxError, ValueError):
            return "literal code", repr(arg.value)[:60]
    if isinstance(arg, ast.Call) and last_name(arg.func) == "compile":
        return "compiled code object", ast.unparse(arg)[:60]
    globals_given = len(call.args) > 1
    return "run-time code" + (" with own namespace" if globals_given else ""), ast.unparse(arg)[:60]


def classify_b104(site):
    node = site.node
    parent = getattr(node, "parent", None)
    w = words_around(site)
    if isinstance(parent, ast.keyword) and parent.arg == "default":
        ctx = "dataclass/argparse default"
    elif isinstance(parent, ast.arguments):
        ctx = "function parameter default"
    elif isinstance(parent, ast.keyword):
        ctx = f"keyword `{parent.arg}=`"
    else:
        ctx = "other"
    role = (
        "client connects to it"
        if re.search(r"client|connect|server_host|vllm_server_host", w) and "serve" not in site.where.rsplit("/", 1)[-1]
        else "server binds to it"
    )
    return role, ctx


def classify_b310(site):
    call = site.node
    arg = call.args[0] if call.args else (keyword(call, "url").value if keyword(call, "url") else None)
    if arg is None:
        return "URL via `*args`/`**kwargs`", f"`{ast.unparse(call)[:80]}`"
    parts = literal_parts(arg)
    if parts and re.match(r"\s*https?://", parts[0]):
        return "http(s) literal", ast.unparse(arg)[:60]
    if isinstance(arg, ast.Name):
        lit = assigned_literal(site.src, call, arg.id)
        if lit and re.match(r"\s*https?://", lit):
            return "variable holding an http(s) literal", f"{arg.id} = {lit[:50]!r}"
    if isinstance(arg, ast.Call) and last_name(arg.func) == "Request":
        inner = arg.args[0] if arg.args else None
        arg = inner if inner is not None else arg
    # A scheme check nearby (`if "http://" in x`, `startswith("http")`)?
    guard = False
    node = call
    while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        if isinstance(node, ast.If) and re.search(r"https?://|startswith\(|scheme", ast.unparse(node.test)):
            guard = True
        node = getattr(node, "parent", None)
    return ("run-time URL, scheme checked before" if guard else "run-time URL, scheme unchecked"), ast.unparse(arg)[:60]


def classify_xml(site):
    call = site.node
    arg = ast.unparse(call.args[0])[:50] if call.args else ""
    if last_name(call.func) == "XMLParser":
        return "parser object", ast.unparse(call)[:60]
    if "test" in site.where.split(":")[0].rsplit("/", 1)[-1]:
        return "test code", arg
    if "fromstring" in ast.unparse(call.func) or "String" in ast.unparse(call.func):
        return "parses a string", arg
    return "parses a file or stream", arg


def classify_b608(site):
    stmt = ast.unparse(site.stmt) if site.stmt else ""
    if re.search(r"\b(raise|Error|warn|log)", stmt) and not re.search(r"execute", stmt):
        return "not SQL (a message)", site.code(100)
    if re.search(r"\.execute(many)?\(", stmt):
        return "SQL passed to execute()", site.code(100)
    return "SQL-like string", site.code(100)


def classify(family, site):
    if site is None:
        return "unlocated", ""
    if family == "B324":
        return classify_b324(site)
    if family in ("B602", "B604", "B605"):
        return classify_shell(site, family)
    if family == "B701":
        return classify_b701(site)
    if family == "B202":
        return classify_b202(site)
    if family == "B506":
        return classify_b506(site)
    if family == "B301":
        return classify_b301(site)
    if family == "B108":
        return classify_b108(site)
    if family == "B103":
        return classify_b103(site)
    if family in ("B307", "B102"):
        return classify_eval_exec(site, family)
    if family == "B104":
        return classify_b104(site)
    if family == "B310":
        return classify_b310(site)
    if family in XML_CODES:
        return classify_xml(site)
    if family == "B608":
        return classify_b608(site)
    return "other", ""


# Judgements made by reading the code, where the heuristics above cannot know
# (the purpose of a hash, what a template renders, where pickled bytes come
# from). Keyed by family, package, path and line; a finding that moved is
# classified by the heuristic again, marked as such.
READ = {
    ("B324", "huggingface_hub-2.4.0", "huggingface_hub/_local_folder.py", 492): (
        "fingerprint / cache key",
        "shortens a file name into a lock/metadata file name",
    ),
    ("B324", "nemo_toolkit-3.0.0", "nemo/collections/audio/losses/maxine/losses_combined.py", 56): (
        "fingerprint / cache key",
        "cache subfolder from the download location",
    ),
    ("B324", "nemo_toolkit-3.0.0", "nemo/core/classes/common.py", 1116): (
        "fingerprint / cache key",
        "cache subfolder from URL + description; comment says so",
    ),
    ("B324", "nemo_toolkit-3.0.0", "nemo/core/classes/common.py", 1194): (
        "fingerprint / cache key",
        "cache subfolder from URL parts",
    ),
    ("B324", "keras-3.15.1", "keras/src/legacy/preprocessing/text.py", 69): (
        "fingerprint / cache key",
        "feature hashing of words (hashing trick)",
    ),
    ("B324", "keras-3.15.1", "keras/src/utils/file_utils.py", 442): (
        "integrity check",
        "legacy md5 to compare a download with a caller-given digest",
    ),
    ("B324", "keras-3.15.1", "keras/src/utils/file_utils_test.py", 709): ("test code", "type check of the hasher"),
    ("B324", "keras-3.15.1", "keras/src/utils/file_utils_test.py", 714): ("test code", "type check of the hasher"),
    ("B324", "lm_eval-0.4.13", "lm_eval/tasks/longproc/metrics.py", 584): (
        "fingerprint / cache key",
        "temporary .cpp file name from the program text",
    ),
    ("B324", "nltk-3.10.4", "nltk/downloader.py", 3148): (
        "integrity check",
        "md5 of a downloaded package compared with the index's checksum",
    ),
    ("B701", "lm_eval-0.4.13", "lm_eval/utils.py", 616): (
        "select_autoescape() changes output (string templates get escaped)",
        "prompt templates rendered with `env.from_string`: plain text, escaping would corrupt prompts",
    ),
    ("B701", "lm_eval-0.4.13", "lm_eval/tasks/longbench/_generate_config.py", 171): (
        "select_autoescape() changes output (string templates get escaped)",
        "generates YAML task configs from a string template: plain text",
    ),
    ("B701", "pandas-3.1.1", "pandas/io/formats/style_render.py", 77): (
        "select_autoescape() keeps output (no .html/.htm/.xml template name)",
        "HTML, LaTeX, typst and text templates named *.tpl; values are escaped by pandas itself",
    ),
    ("B701", "pandas-3.1.1", "pandas/io/formats/style.py", 4061): (
        "select_autoescape() keeps output (no .html/.htm/.xml template name)",
        "user-extended HTML templates (*.tpl) for Styler subclasses",
    ),
    ("B701", "pandas-3.1.1", "pandas/tests/io/formats/style/test_html.py", 21): (
        "select_autoescape() keeps output (no .html/.htm/.xml template name)",
        "test fixture of the above",
    ),
    ("B301", "mmengine-0.10.7", "mmengine/dataset/base_dataset.py", 265): (
        "between own processes",
        "dataset records the same process serialized into shared memory",
    ),
    ("B301", "mmengine-0.10.7", "mmengine/dist/dist.py", 383): (
        "between own processes",
        "object broadcast between ranks of one job",
    ),
    ("B301", "mmengine-0.10.7", "mmengine/dist/dist.py", 1027): (
        "between own processes",
        "partial results written by the other ranks to a shared tmpdir",
    ),
    ("B301", "mmengine-0.10.7", "mmengine/fileio/handlers/pickle_handler.py", 12): (
        "generic loader API (caller's file)",
        "mmengine.load('x.pkl'): whatever file the user names",
    ),
    ("B301", "sentence_transformers-6.2.0", "sentence_transformers/base/model.py", 1988): (
        "round trip of own object",
        "checks that an exception is picklable",
    ),
    ("B301", "transformers-5.23.0", "transformers/models/rag/retrieval_rag.py", 142): (
        "file or bytes from elsewhere",
        "passages file downloaded from the Hub",
    ),
    ("B301", "transformers-5.23.0", "transformers/models/rag/retrieval_rag.py", 158): (
        "file or bytes from elsewhere",
        "index metadata downloaded from the Hub",
    ),
    ("B104", "trl-1.16.0", "trl/scripts/vllm_serve.py", 104): ("server binds to it", "vLLM server host"),
    ("B104", "trl-1.16.0", "trl/generation/vllm_generation.py", 226): (
        "client connects to it",
        "host of the vLLM server the trainer talks to",
    ),
    ("B104", "trl-1.16.0", "trl/generation/vllm_client.py", 208): (
        "client connects to it",
        "host of the vLLM server the client talks to",
    ),
    ("B202", "keras-3.15.1", "keras/src/utils/file_utils.py", 137): (
        "zip/rar archive, members validated",
        "`zipfile.ZipFile` branch of `extract_archive`; the file imports tarfile",
    ),
    ("B202", "keras-3.15.1", "keras/src/utils/file_utils.py", 153): (
        "tar archive, members validated",
        'also passes `filter="data"` through `**kwargs` when the Python has it',
    ),
    ("B310", "lightning-2.6.6", "lightning/pytorch/demos/mnist_datamodule.py", 100): (
        "constant http(s) URLs",
        "loops over a class attribute list of https:// URLs; ruff silenced by noqa",
    ),
    ("B310", "roboflow-1.7.3", "roboflow/util/prediction.py", 130): (
        "run-time URL, scheme checked before",
        '`if "http://" in path or "https://" in path` (substring, not prefix)',
    ),
    ("B310", "roboflow-1.7.3", "roboflow/util/prediction.py", 333): (
        "run-time URL, scheme checked before",
        "same substring check",
    ),
}


# --------------------------------------------------------------------------
# Probes: small snippets through both tools, to pin down each rule's edges


PROBES = {
    "B324": [
        ("hashlib.md5(data)", "import hashlib\nhashlib.md5(b'x')\n"),
        ("hashlib.md5(data, usedforsecurity=False)", "import hashlib\nhashlib.md5(b'x', usedforsecurity=False)\n"),
        ("hashlib.md5(usedforsecurity=True)", "import hashlib\nhashlib.md5(usedforsecurity=True)\n"),
        ("hashlib.md5(usedforsecurity=flag)", "import hashlib\nflag = False\nhashlib.md5(usedforsecurity=flag)\n"),
        ("hashlib.md5(**kwargs)", "import hashlib\nkw = {}\nhashlib.md5(**kw)\n"),
        ("hashlib.sha1()", "import hashlib\nhashlib.sha1()\n"),
        ("hashlib.sha256()", "import hashlib\nhashlib.sha256()\n"),
        ("hashlib.new('md5')", "import hashlib\nhashlib.new('md5')\n"),
        ("hashlib.new('MD5', data)", "import hashlib\nhashlib.new('MD5', b'x')\n"),
        ("hashlib.new(name='sha1')", "import hashlib\nhashlib.new(name='sha1')\n"),
        ("hashlib.new('md5', usedforsecurity=False)", "import hashlib\nhashlib.new('md5', usedforsecurity=False)\n"),
        ("hashlib.new(algo) (variable)", "import hashlib\nalgo = 'md5'\nhashlib.new(algo)\n"),
        ("from hashlib import md5; md5()", "from hashlib import md5\nmd5()\n"),
        ("import hashlib as h; h.md5()", "import hashlib as h\nh.md5()\n"),
        ("hashlib.file_digest(f, 'md5')", "import hashlib\nf = open('x', 'rb')\nhashlib.file_digest(f, 'md5')\n"),
        ("hmac.new(key, msg, hashlib.md5)", "import hashlib, hmac\nhmac.new(b'k', b'm', hashlib.md5)\n"),
        (
            "functools.partial(hashlib.md5, usedforsecurity=False)",
            "import functools, hashlib\nmd5 = functools.partial(hashlib.md5, usedforsecurity=False)\nmd5()\n",
        ),
        ("crypt.crypt(w, crypt.METHOD_MD5)", "import crypt\ncrypt.crypt('w', crypt.METHOD_MD5)\n"),
    ],
    "B303": [
        ("Crypto.Hash.MD5.new()", "from Crypto.Hash import MD5\nMD5.new()\n"),
        ("cryptography hashes.MD5()", "from cryptography.hazmat.primitives import hashes\nhashes.MD5()\n"),
        ("cryptography hashes.SHA1()", "from cryptography.hazmat.primitives import hashes\nhashes.SHA1()\n"),
    ],
    "B602": [
        ("subprocess.run('ls -l', shell=True)", "import subprocess\nsubprocess.run('ls -l', shell=True)\n"),
        (
            "subprocess.run(f'ls {d}', shell=True)",
            "import subprocess\nd = '.'\nsubprocess.run(f'ls {d}', shell=True)\n",
        ),
        (
            "subprocess.run('ls %s' % d, shell=True)",
            "import subprocess\nd = '.'\nsubprocess.run('ls %s' % d, shell=True)\n",
        ),
        ("subprocess.run(['ls', '-l'], shell=True)", "import subprocess\nsubprocess.run(['ls', '-l'], shell=True)\n"),
        ("subprocess.run('ls', shell=1)", "import subprocess\nsubprocess.run('ls', shell=1)\n"),
        ("subprocess.run('ls', shell=flag)", "import subprocess\nflag = True\nsubprocess.run('ls', shell=flag)\n"),
        ("subprocess.run('ls', shell=False)", "import subprocess\nsubprocess.run('ls', shell=False)\n"),
        (
            "from subprocess import call; call('ls', shell=True)",
            "from subprocess import call\ncall('ls', shell=True)\n",
        ),
        ("subprocess.run(shell=True, args='ls')", "import subprocess\nsubprocess.run(shell=True, args='ls')\n"),
    ],
    "B604": [
        ("foo('ls', shell=True)", "def foo(*a, **k):\n    pass\nfoo('ls', shell=True)\n"),
        (
            "completion(shell=shell_name)",
            "def completion(**k):\n    pass\nshell_name = 'bash'\ncompletion(shell=shell_name)\n",
        ),
        (
            "asyncio.create_subprocess_shell(cmd)",
            "import asyncio\nasync def f(cmd):\n    await asyncio.create_subprocess_shell(cmd)\n",
        ),
    ],
    "B605": [
        ("os.system('ls -l')", "import os\nos.system('ls -l')\n"),
        ("os.system(f'ls {d}')", "import os\nd = '.'\nos.system(f'ls {d}')\n"),
        ("os.popen('ls')", "import os\nos.popen('ls')\n"),
        ("subprocess.getoutput('ls')", "import subprocess\nsubprocess.getoutput('ls')\n"),
        ("subprocess.getstatusoutput(cmd)", "import subprocess\ncmd = 'ls'\nsubprocess.getstatusoutput(cmd)\n"),
        ("from os import system; system('ls')", "from os import system\nsystem('ls')\n"),
    ],
    "B701": [
        ("jinja2.Environment()", "import jinja2\njinja2.Environment()\n"),
        ("jinja2.Environment(autoescape=True)", "import jinja2\njinja2.Environment(autoescape=True)\n"),
        ("jinja2.Environment(autoescape=False)", "import jinja2\njinja2.Environment(autoescape=False)\n"),
        (
            "autoescape=jinja2.select_autoescape()",
            "import jinja2\njinja2.Environment(autoescape=jinja2.select_autoescape())\n",
        ),
        (
            "autoescape=select_autoescape(['html'])",
            "from jinja2 import Environment, select_autoescape\nEnvironment(autoescape=select_autoescape(['html']))\n",
        ),
        ("autoescape=flag", "import jinja2\nflag = True\njinja2.Environment(autoescape=flag)\n"),
        ("autoescape=lambda name: True", "import jinja2\njinja2.Environment(autoescape=lambda name: True)\n"),
        (
            "from jinja2 import Environment; Environment(loader=l)",
            "from jinja2 import Environment, BaseLoader\nEnvironment(loader=BaseLoader())\n",
        ),
        ("Environment(**opts)", "import jinja2\nopts = {}\njinja2.Environment(**opts)\n"),
        ("jinja2.sandbox.SandboxedEnvironment()", "import jinja2.sandbox\njinja2.sandbox.SandboxedEnvironment()\n"),
        (
            "ImmutableSandboxedEnvironment() (transformers' chat templates)",
            "from jinja2.sandbox import ImmutableSandboxedEnvironment\nImmutableSandboxedEnvironment()\n",
        ),
        ("jinja2.Template('x')", "import jinja2\njinja2.Template('{{ x }}')\n"),
        (
            "autoescape=True only inside another call's arguments",
            "import jinja2\njinja2.Environment(loader=jinja2.FileSystemLoader('.'), finalize=dict(autoescape=True))\n",
        ),
    ],
    "B202": [
        ("tarfile.open(p).extractall(d)", "import tarfile\ntarfile.open('a.tar').extractall('d')\n"),
        (
            "t.extractall(d, filter='data')",
            "import tarfile\nt = tarfile.open('a.tar')\nt.extractall('d', filter='data')\n",
        ),
        (
            "t.extractall(d, filter='tar')",
            "import tarfile\nt = tarfile.open('a.tar')\nt.extractall('d', filter='tar')\n",
        ),
        (
            "t.extractall(d, filter='fully_trusted')",
            "import tarfile\nt = tarfile.open('a.tar')\nt.extractall('d', filter='fully_trusted')\n",
        ),
        (
            "t.extractall(d, filter=tarfile.data_filter)",
            "import tarfile\nt = tarfile.open('a.tar')\nt.extractall('d', filter=tarfile.data_filter)\n",
        ),
        (
            "t.extractall(d, members=safe(t))",
            "import tarfile\ndef safe(t):\n    return t\n"
            "t = tarfile.open('a.tar')\nt.extractall('d', members=safe(t))\n",
        ),
        (
            "t.extractall(d, members=Helper.safe(t))",
            "import tarfile\nclass Helper:\n    @staticmethod\n    def safe(t):\n        return t\n"
            "t = tarfile.open('a.tar')\n"
            "t.extractall('d', members=Helper.safe(t))\n",
        ),
        (
            "t.extractall(d, members=names)",
            "import tarfile\nnames = []\nt = tarfile.open('a.tar')\nt.extractall('d', members=names)\n",
        ),
        (
            "zipfile extractall, tarfile imported",
            "import tarfile, zipfile\nz = zipfile.ZipFile('a.zip')\nz.extractall('d')\n",
        ),
        (
            "with zipfile.ZipFile(p) as z: z.extractall(d), tarfile imported",
            "import tarfile, zipfile\nwith zipfile.ZipFile('a.zip') as z:\n    z.extractall('d')\n",
        ),
        ("zipfile extractall, no tarfile import", "import zipfile\nzipfile.ZipFile('a.zip').extractall('d')\n"),
        (
            "from tarfile import open as topen; topen(p).extractall(d)",
            "from tarfile import open as topen\ntopen('a.tar').extractall('d')\n",
        ),
        ("shutil.unpack_archive(p, d)", "import shutil\nshutil.unpack_archive('a.tar', 'd')\n"),
        ("t.extract(member, d)", "import tarfile\nt = tarfile.open('a.tar')\nt.extract('m', 'd')\n"),
    ],
    "B506": [
        ("yaml.load(s)", "import yaml\nyaml.load('a: 1')\n"),
        ("yaml.load(s, Loader=yaml.SafeLoader)", "import yaml\nyaml.load('a: 1', Loader=yaml.SafeLoader)\n"),
        ("yaml.load(s, yaml.SafeLoader)", "import yaml\nyaml.load('a: 1', yaml.SafeLoader)\n"),
        ("yaml.load(s, Loader=yaml.CSafeLoader)", "import yaml\nyaml.load('a: 1', Loader=yaml.CSafeLoader)\n"),
        ("yaml.load(s, Loader=yaml.BaseLoader)", "import yaml\nyaml.load('a: 1', Loader=yaml.BaseLoader)\n"),
        ("yaml.load(s, Loader=yaml.FullLoader)", "import yaml\nyaml.load('a: 1', Loader=yaml.FullLoader)\n"),
        ("yaml.load(s, Loader=yaml.Loader)", "import yaml\nyaml.load('a: 1', Loader=yaml.Loader)\n"),
        (
            "from yaml import SafeLoader; Loader=SafeLoader",
            "import yaml\nfrom yaml import SafeLoader\nyaml.load('a: 1', Loader=SafeLoader)\n",
        ),
        (
            "Loader=MySafeLoader (subclass of SafeLoader)",
            "import yaml\nclass MySafeLoader(yaml.SafeLoader):\n    pass\nyaml.load('a: 1', Loader=MySafeLoader)\n",
        ),
        (
            "Loader=other.SafeLoader (any attribute named SafeLoader)",
            "import yaml, other\nyaml.load('a: 1', Loader=other.SafeLoader)\n",
        ),
        ("yaml.load(s, **kwargs)", "import yaml\nkw = {}\nyaml.load('a: 1', **kw)\n"),
        ("yaml.unsafe_load(s)", "import yaml\nyaml.unsafe_load('a: 1')\n"),
        ("yaml.full_load(s)", "import yaml\nyaml.full_load('a: 1')\n"),
        ("yaml.load_all(s)", "import yaml\nyaml.load_all('a: 1')\n"),
        ("from yaml import load; load(s)", "from yaml import load\nload('a: 1')\n"),
    ],
    "B301": [
        ("pickle.load(f)", "import pickle\npickle.load(open('x', 'rb'))\n"),
        ("pickle.loads(b)", "import pickle\npickle.loads(b'')\n"),
        ("from pickle import loads; loads(b)", "from pickle import loads\nloads(b'')\n"),
        ("pickle.Unpickler(f)", "import pickle\npickle.Unpickler(open('x', 'rb'))\n"),
        ("dill.loads(b)", "import dill\ndill.loads(b'')\n"),
        ("shelve.open(p)", "import shelve\nshelve.open('x')\n"),
        ("pd.read_pickle(p)", "import pandas as pd\npd.read_pickle('x')\n"),
        ("joblib.load(p)", "import joblib\njoblib.load('x')\n"),
        ("cloudpickle.loads(b)", "import cloudpickle\ncloudpickle.loads(b'')\n"),
        ("numpy.load(p, allow_pickle=True)", "import numpy\nnumpy.load('x', allow_pickle=True)\n"),
        ("pickle.loads(pickle.dumps(x))", "import pickle\npickle.loads(pickle.dumps(1))\n"),
    ],
    "B108": [
        ("'/tmp/x'", "p = '/tmp/x'\n"),
        ("'/tmp'", "p = '/tmp'\n"),
        ("'/tmpfile' (prefix, no slash)", "p = '/tmpfile'\n"),
        ("'/var/tmp/x'", "p = '/var/tmp/x'\n"),
        ("'/dev/shm/x'", "p = '/dev/shm/x'\n"),
        ("f'/tmp/{x}'", "x = 1\np = f'/tmp/{x}'\n"),
        ("'/tmp/' + x", "x = '1'\np = '/tmp/' + x\n"),
        ("os.path.join('/tmp', x)", "import os\nx = '1'\np = os.path.join('/tmp', x)\n"),
        ("tempfile.mkdtemp(dir='/tmp')", "import tempfile\ntempfile.mkdtemp(dir='/tmp')\n"),
        ("tempfile.NamedTemporaryFile(dir='/tmp')", "import tempfile\ntempfile.NamedTemporaryFile(dir='/tmp')\n"),
        ("b'/tmp/x' (bytes)", "p = b'/tmp/x'\n"),
        ("docstring mentioning /tmp", "def f():\n    '''/tmp/x'''\n"),
        ("pathlib.Path('/tmp') / x", "import pathlib\nx = '1'\np = pathlib.Path('/tmp') / x\n"),
    ],
    "B103": [
        ("os.chmod(p, 0o777)", "import os\nos.chmod('x', 0o777)\n"),
        ("os.chmod(p, 0o755)", "import os\nos.chmod('x', 0o755)\n"),
        ("os.chmod(p, 0o750)", "import os\nos.chmod('x', 0o750)\n"),
        ("os.chmod(p, 0o664)", "import os\nos.chmod('x', 0o664)\n"),
        ("os.chmod(p, 0o644)", "import os\nos.chmod('x', 0o644)\n"),
        ("os.chmod(p, 0o701)", "import os\nos.chmod('x', 0o701)\n"),
        ("os.chmod(p, mode=0o777)", "import os\nos.chmod('x', mode=0o777)\n"),
        ("os.chmod(p, stat.S_IRWXU | stat.S_IRWXG)", "import os, stat\nos.chmod('x', stat.S_IRWXU | stat.S_IRWXG)\n"),
        ("os.fchmod(fd, 0o666)", "import os\nos.fchmod(3, 0o666)\n"),
        ("Path(p).chmod(0o777)", "from pathlib import Path\nPath('x').chmod(0o777)\n"),
        ("os.chmod(p, 0o777, follow_symlinks=False)", "import os\nos.chmod('x', 0o777, follow_symlinks=False)\n"),
    ],
    "B307": [
        ("eval('1 + 2')", "eval('1 + 2')\n"),
        ("eval(\"{'a': 1}\")", "eval(\"{'a': 1}\")\n"),
        ("eval(s)", "s = input()\neval(s)\n"),
        ("eval(compile(tree, f, 'eval'))", "import ast\neval(compile(ast.parse('1', mode='eval'), 'f', 'eval'))\n"),
        ("builtins.eval(s)", "import builtins\nbuiltins.eval('1')\n"),
        ("model.eval()", "class M:\n    def eval(self):\n        pass\nmodel = M()\nmodel.eval()\n"),
        ("ast.literal_eval(s)", "import ast\nast.literal_eval('1')\n"),
    ],
    "B102": [
        ("exec('x = 1')", "exec('x = 1')\n"),
        ("exec(src, ns)", "src = input()\nns = {}\nexec(src, ns)\n"),
        ("builtins.exec(s)", "import builtins\nbuiltins.exec('x = 1')\n"),
    ],
    "B104": [
        ("'0.0.0.0'", "host = '0.0.0.0'\n"),
        ("app.run(host='0.0.0.0')", "class A:\n    def run(self, host):\n        pass\nA().run(host='0.0.0.0')\n"),
        ("'::'", "host = '::'\n"),
        ("''", "import socket\nsocket.socket().bind(('', 80))\n"),
        ("'0.0.0.0:8000'", "addr = '0.0.0.0:8000'\n"),
        ("f'http://0.0.0.0:{port}'", "port = 1\nurl = f'http://0.0.0.0:{port}'\n"),
    ],
    "B310": [
        ("urlopen('https://x')", "import urllib.request\nurllib.request.urlopen('https://x')\n"),
        ("urlopen('file:///etc/passwd')", "import urllib.request\nurllib.request.urlopen('file:///etc/passwd')\n"),
        ("urlopen(url)", "import urllib.request\ndef f(url):\n    urllib.request.urlopen(url)\n"),
        ("u = 'https://x'; urlopen(u)", "import urllib.request\nu = 'https://x'\nurllib.request.urlopen(u)\n"),
        (
            "urlretrieve(f'https://{h}/x', p)",
            "import urllib.request\nh = 'a'\nurllib.request.urlretrieve(f'https://{h}/x', 'p')\n",
        ),
        (
            "urlopen(Request('https://x'))",
            "import urllib.request\nurllib.request.urlopen(urllib.request.Request('https://x'))\n",
        ),
        ("Request(url)", "import urllib.request\ndef f(url):\n    urllib.request.Request(url)\n"),
        (
            "from urllib.request import urlopen; urlopen(url)",
            "from urllib.request import urlopen\ndef f(url):\n    urlopen(url)\n",
        ),
        (
            "urllib.request.build_opener().open(url)",
            "import urllib.request\ndef f(url):\n    urllib.request.build_opener().open(url)\n",
        ),
    ],
    "B314": [
        ("ET.parse(f)", "import xml.etree.ElementTree as ET\nET.parse('x.xml')\n"),
        ("ET.fromstring(s)", "import xml.etree.ElementTree as ET\nET.fromstring('<a/>')\n"),
        ("ET.XMLParser()", "import xml.etree.ElementTree as ET\nET.XMLParser()\n"),
        (
            "from xml.etree.ElementTree import fromstring",
            "from xml.etree.ElementTree import fromstring\nfromstring('<a/>')\n",
        ),
        ("ET.ElementTree(file=f)", "import xml.etree.ElementTree as ET\nET.ElementTree(file='x.xml')\n"),
        ("defusedxml.ElementTree.parse(f)", "import defusedxml.ElementTree\ndefusedxml.ElementTree.parse('x.xml')\n"),
        ("lxml.etree.fromstring(s)", "import lxml.etree\nlxml.etree.fromstring('<a/>')\n"),
    ],
    "B313": [("xml.etree.cElementTree.parse(f)", "import xml.etree.cElementTree as cET\ncET.parse('x.xml')\n")],
    "B315": [("expatreader.create_parser()", "import xml.sax.expatreader\nxml.sax.expatreader.create_parser()\n")],
    "B316": [("expatbuilder.parse(f)", "import xml.dom.expatbuilder\nxml.dom.expatbuilder.parse('x.xml')\n")],
    "B317": [("xml.sax.parseString(s, h)", "import xml.sax\nxml.sax.parseString(b'<a/>', None)\n")],
    "B318": [("minidom.parseString(s)", "import xml.dom.minidom\nxml.dom.minidom.parseString('<a/>')\n")],
    "B319": [("pulldom.parse(f)", "import xml.dom.pulldom\nxml.dom.pulldom.parse('x.xml')\n")],
    "B613": [
        ("U+202E in a string", "s = 'abc\u202edef'\n"),
        ("U+202E in a comment", "x = 1  # abc\u202edef\n"),
        ("U+2066 ... U+2069 around code", "x = 1  # \u2066 x \u2069\n"),
        ("U+200F RIGHT-TO-LEFT MARK", "s = 'a\u200fb'\n"),
        ("U+200E LEFT-TO-RIGHT MARK", "s = 'a\u200eb'\n"),
        ("U+061C ARABIC LETTER MARK", "s = 'a\u061cb'\n"),
        ("two lines with controls (count per file)", "s = 'a\u202eb'\nt = 'a\u202bb'\n"),
        ("escaped in source: '\\u202e'", "s = '\\u202e'\n"),
    ],
    "B608": [
        ("'SELECT * FROM t WHERE id = %s' % x", "x = 1\nq = 'SELECT * FROM t WHERE id = %s' % x\n"),
        ("f'select a from t where id = {x}'", "x = 1\nq = f'select a from t where id = {x}'\n"),
        ("'select {} from t'.format(x)", "x = 1\nq = 'select {} from t'.format(x)\n"),
        (
            "cur.execute('select * from t where id=' + x)",
            "def f(cur, x):\n    cur.execute('select * from t where id=' + x)\n",
        ),
        (
            "cur.execute('select * from t where id=?', (x,))",
            "def f(cur, x):\n    cur.execute('select * from t where id=?', (x,))\n",
        ),
        (
            "f'Select task from {names}' in an error",
            "names = []\nraise ValueError(f'Select task from {names} only.')\n",
        ),
        ("'DELETE FROM t WHERE x=' + y", "y = '1'\nq = 'DELETE FROM t WHERE x=' + y\n"),
        ("'update t set a=' + y", "y = '1'\nq = 'update t set a=' + y\n"),
        ("'insert into t values (' + y + ')'", "y = '1'\nq = 'insert into t values (' + y + ')'\n"),
        ("'select a from t' (no building)", "q = 'select a from t'\n"),
    ],
}


def run_probes(venv, work):
    """{family: [(label, bandit result, ruff result)]}."""
    root = work / "probes"
    if root.exists():
        for p in root.iterdir():
            p.unlink()
    root.mkdir(parents=True, exist_ok=True)
    index = {}
    for family, cases in PROBES.items():
        for i, (label, code) in enumerate(cases):
            name = f"p_{family}_{i:02d}.py"
            (root / name).write_text(code, encoding="utf-8")
            index[name] = (family, label)
    b = json.loads(subprocess.run(bandit_cmd(venv, root), capture_output=True, text=True).stdout)
    r = json.loads(subprocess.run(ruff_cmd(venv, root, True), capture_output=True, text=True).stdout)
    got_b = collections.defaultdict(list)
    for x in b["results"]:
        got_b[os.path.basename(x["filename"])].append(
            f"{x['test_id']} {x['issue_severity'][0]}/{x['issue_confidence'][0]}"
        )
    got_r = collections.defaultdict(list)
    for x in r:
        got_r[os.path.basename(x["filename"])].append(x["code"])
    out = collections.defaultdict(list)
    for name, (family, label) in index.items():
        out[family].append((label, ", ".join(got_b[name]) or "—", ", ".join(got_r[name]) or "—"))
    return out


# --------------------------------------------------------------------------
# The report

RECOMMEND = {}  # filled below, after the data


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(out)


def code_cell(text):
    text = text.replace("`", "'")
    return f"`{text}`"


def build(findings, files, probes, packages):
    by_split = {}
    for split, d in packages:
        by_split.setdefault(split, []).append(d.name)
    pkg_dirs = {d.name: d for _, d in packages}
    for f in findings:
        f.site = locate(f, pkg_dirs[f.pkg])
    groups = pair(findings)

    bandit = [f for f in findings if f.tool == "bandit"]
    ruff_all = [f for f in findings if f.tool == "ruff"]

    def count(items, family, splits):
        return sum(1 for f in items if f.family == family and f.split in splits)

    out = []
    w = out.append
    w("# Bandit's HIGH and MEDIUM tests on ML code: the data behind the next rules\n")
    w(
        "Generated by `scripts/bandit-survey.py` (re-run it to refresh every number and table below; it installs "
        "what it needs). Bandit 1.9.4 and ruff 0.17.6, the versions pinned in `scripts/python-tools.txt`.\n"
    )
    w("## Summary\n")
    rows = []
    for family, (ruff_code, what) in CODES.items():
        dev = count(bandit, family, {"dev"})
        perf = count(bandit, family, {"perf"})
        extra = count(bandit, family, {"extra"})
        sev = collections.Counter(f.severity for f in bandit if f.family == family)
        sev_text = ", ".join(f"{k[0]}{v}" for k, v in sorted(sev.items())) or "—"
        r_dev = count(ruff_all, family, {"dev"})
        r_perf = count(ruff_all, family, {"perf"})
        r_extra = count(ruff_all, family, {"extra"})
        rows.append(
            [
                family,
                what,
                dev,
                perf,
                extra,
                sev_text,
                ruff_code or "—",
                r_dev,
                r_perf,
                r_extra,
                RECOMMEND_SHORT.get(family, ""),
            ]
        )
    w(
        md_table(
            [
                "Bandit",
                "what",
                "dev",
                "transformers",
                "supplement",
                "severity (all)",
                "ruff",
                "ruff dev",
                "ruff transformers",
                "ruff supplement",
                "recommendation",
            ],
            rows,
        )
    )
    w("")
    w(
        "Counts are findings; *dev* is the eight pinned dev packages, *transformers* the perf package, "
        "*supplement* five more ML packages (below). Severity: H/M/L counts over all three. ruff's columns count "
        "every file and ignore `# noqa` (see *What the exact ruff command hides*). No file in any of them has a "
        "`# nosec` comment, so Bandit's counts are the same with `--ignore-nosec`.\n"
    )
    w(SUMMARY_PROSE)

    w("## How the data was made\n")
    w(f"- Bandit: `bandit -q -f json -t {','.join(CODES)} -r PKG`.")
    codes = ",".join(r for r, _ in CODES.values() if r)
    w(
        f"- ruff: `ruff check --no-cache --isolated --select {codes} --output-format json PKG`, and again with "
        "`--config 'exclude=[]' --ignore-noqa` to see what the first one hides. ruff has no rule of its own for "
        "B613; its `PLE2502` (bidirectional-unicode) is the counterpart. ruff's S320 (lxml) was removed and "
        "cannot be selected."
    )
    w(
        "- Corpus (`scripts/corpus.sh`): "
        + ", ".join(f"{n} ({files[n][1]} files)" for n in by_split.get("dev", []))
        + "; transformers: "
        + ", ".join(f"{n} ({files[n][1]} files)" for n in by_split.get("perf", []))
        + "."
    )
    if by_split.get("extra"):
        w(
            "- Supplement, because the corpus has no jinja2 environment, no tar extraction and no XML parsing: "
            + ", ".join(f"{n} ({files[n][1]} files)" for n in by_split["extra"])
            + ". Wheels pinned by version and sha256 in the script, downloaded with pip, only their `.py` files "
            "unpacked. pandas ships its test suite, which holds most of its findings."
        )
    w(
        "- Pairing: a Bandit and a ruff finding of the same check are one site when they point at the same call "
        "(or, for string checks, the same statement). The tools report different lines for the same call (Bandit "
        "puts B602/B604 on the `shell=` keyword, ruff on the function), so lines alone do not pair them."
    )
    w(
        "- Classes: each site is classified by a heuristic over its AST; where the class needs judgement (what a "
        "hash is for, what a template renders, where pickled bytes come from) the site was read and the judgement "
        "is recorded in the script (`READ`). Every finding in the dev corpus and transformers was read; none of "
        "the codes has more than 30 there, so no sampling.\n"
    )

    w("## Counts per package\n")
    pkgs = [d.name for _, d in packages]
    fams = [c for c in CODES if any(f.family == c for f in findings)]
    rows = []
    for p in pkgs:
        row = [p, files[p][1]]
        for c in fams:
            b_n = sum(1 for f in bandit if f.pkg == p and f.family == c)
            r_n = sum(1 for f in ruff_all if f.pkg == p and f.family == c)
            row.append("" if not (b_n or r_n) else (str(b_n) if b_n == r_n else f"{b_n} / {r_n}"))
        rows.append(row)
    w(md_table(["package", "files"] + fams, rows))
    w(
        "\nA cell is the Bandit count, or *Bandit / ruff* where they differ. Codes with no finding anywhere "
        "are left out: " + ", ".join(c for c in CODES if c not in fams) + ".\n"
    )

    w("## Where Bandit and ruff disagree, and why\n")
    rows = []
    for anchor, (bs, rs) in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], str(kv[0][3]))):
        if len(bs) == len(rs):
            continue
        site = (bs or rs)[0].site
        reason = why_differs(anchor[0], site, bs, rs)
        where = site.where if site else f"{anchor[1]}/{anchor[2]}:{(bs or rs)[0].line}"
        rows.append([anchor[0], where, len(bs), len(rs), code_cell(site.code(110)) if site else "", reason])
    w(md_table(["code", "site", "Bandit", "ruff", "code", "why"], rows))
    w("")
    w(DISAGREE_PROSE)
    w("### What the exact ruff command hides\n")
    rows = []
    for f in sorted((f for f in ruff_all if f.hidden), key=lambda f: (f.family, f.pkg, f.path, f.line)):
        rows.append([f.code, f"{f.pkg}/{f.path}:{f.line}", f.hidden])
    w(md_table(["ruff", "site", "hidden by"], rows) if rows else "Nothing.")
    w(
        "\n`excluded dir`: ruff's default `exclude` list holds `dist`, `build` and the like, so "
        "`mmengine/dist/` (mmengine's distributed-training package) is never linted unless `exclude` is "
        "overridden; Bandit reads it. `noqa`: a `# noqa: S…` comment that Bandit does not honour (it reads "
        "only `# nosec`).\n"
    )

    w("## Semantics probes\n")
    w(
        "One small file per case, run through both tools (ruff with every file and `noqa` ignored). They pin "
        "down what each rule must match to agree with the tools, and where the tools disagree with each other. "
        "Bandit's result is *test severity/confidence*.\n"
    )
    for family in PROBES:
        w(f"### {family}\n")
        w(md_table(["case", "Bandit", "ruff"], [[code_cell(label), b, r] for label, b, r in probes[family]]))
        w("")

    w("## Per code: the call sites, classified, and the recommendation\n")
    for family in CODES:
        site_groups = [(a, bs, rs) for a, (bs, rs) in groups.items() if a[0] == family]
        w(f"### {family}: {CODES[family][1]}\n")
        if not site_groups:
            w("No finding in the corpus or the supplement.\n")
        else:
            classes = collections.defaultdict(list)
            for _anchor, bs, rs in site_groups:
                f = (bs or rs)[0]
                key = (family, f.pkg, f.path, f.site.node.lineno if f.site else f.line)
                if key in READ:
                    cls, detail = READ[key]
                    how = "read"
                else:
                    cls, detail = classify(family, f.site)
                    how = "heuristic"
                tools = ("B" if bs else "") + ("R" if rs else "")
                classes[cls].append((f, detail, how, tools))
            rows = []
            for cls, items in sorted(classes.items(), key=lambda kv: -len(kv[1])):
                by = collections.Counter(f.split for f, *_ in items)
                rows.append([cls, len(items), by.get("dev", 0), by.get("perf", 0), by.get("extra", 0)])
            w(md_table(["class", "sites", "dev", "transformers", "supplement"], rows))
            w("")
            for cls, items in sorted(classes.items(), key=lambda kv: -len(kv[1])):
                w(f"- **{cls}** ({len(items)}):")
                for f, detail, how, tools in sorted(items, key=lambda x: ("extra" == x[0].split, x[0].pkg))[:3]:
                    where = f.site.where if f.site else f"{f.pkg}/{f.path}:{f.line}"
                    flag = {"B": " (Bandit only)", "R": " (ruff only)", "BR": ""}[tools]
                    code = code_cell(f.site.code()) if f.site else ""
                    w(f"  - `{where}`{flag}: {code} — {detail}" + (" *(heuristic)*" if how == "heuristic" else ""))
            w("")
        w(RECOMMEND.get(family, "") + "\n")
    return "\n".join(out)


# --------------------------------------------------------------------------
# Prose: the conclusions drawn from the tables above. The corpus and the
# supplement are pinned, so the numbers quoted here stay true on a re-run.

RECOMMEND_SHORT = {
    "B324": "safe fix: `usedforsecurity=False` (Python ≥ 3.9)",
    "B303": "report only",
    "B602": "report only; unsafe fix for literal commands",
    "B604": "report only (truthy literal only)",
    "B605": "report only; unsafe fix for literal commands",
    "B701": "report only",
    "B202": 'unsafe fix: `filter="data"` (tar receivers, guarded)',
    "B506": "safe fix: `yaml.safe_load` when no Loader",
    "B301": "report only",
    "B108": "report only",
    "B103": "report only",
    "B307": "unsafe fix: `ast.literal_eval` for literal data",
    "B102": "report only",
    "B104": "report only",
    "B310": "report only",
    **{c: "report only (defusedxml)" for c in XML_CODES},
    "B613": "report; safe fix inside str literals",
    "B608": "report only, narrower match",
}

SUMMARY_PROSE = """\
What stands out:

- **Few findings, and most are not fixable by rewriting.** Bandit reports 68 of these findings on the dev
  corpus and transformers together (17 HIGH, 50 MEDIUM, 1 LOW). The biggest groups are false positives by
  construction: all 10 B608 hits there are error messages containing "select ... from", all 3 B604 hits
  pass a completion shell's *name* (`shell=shell`), and 10 of the 11 B104 hits are the host a *client*
  connects to.
- **Two codes have a mechanical, behaviour-preserving fix**: B324, where `usedforsecurity=False` never
  changes a digest and every one of the 10 sites is a cache key, a file name, feature hashing, an integrity
  check against a published md5 or a test; and B506 without a Loader (`yaml.safe_load`), which the data
  does not even contain (both `yaml.load` sites pass a full Loader on purpose). B202 (`filter="data"`),
  B307 (`ast.literal_eval`) and literal commands for B602/B605 have fixes that change behaviour at the
  edges: unsafe fixes.
- **Shell injection, as found, is interpolation**: every B602 finding is an f-string (that is what makes it
  HIGH); a literal command is Bandit LOW and ruff's "seems safe". The `shell_words` classifier covers the
  literal case exactly; the common case (`f'"{nvcc}" --version'`, `f'which {cmd}'`) needs words made of
  literal and run-time pieces, and converting it changes how the values are split: an unsafe fix at best.
- **B701's usual advice is wrong for ML code**: lm-eval renders prompts and configs with
  `env.from_string`, where `select_autoescape()` turns escaping *on* (`default_for_string=True`) and would
  HTML-escape every prompt; pandas loads `*.tpl` names, where it changes nothing. transformers' chat
  templates use `ImmutableSandboxedEnvironment`, which neither tool checks.
- **Bandit has bugs a rule must not copy**: B202 crashes on `members=Obj.method(...)` and drops the finding
  (all three of datasets' calls), B103 matches any callee containing `chmod`, B604 takes `shell=<any
  name>` as true, B608 reads "update the data*set* " as SQL, B506 misses `from yaml import load`, and
  B613 reports one character per file, picked by list order, on `str.splitlines` line numbers.
- **ruff's exact command hides findings**: its default `exclude` skips `mmengine/dist/` (3 findings) and
  `# noqa` silences 6 more; Bandit honours neither.
"""

DISAGREE_PROSE = """\
The causes, from these sites and the probes below:

- **B310/S310**: ruff also flags `urllib.request.Request(url)`, and skips a call whose URL is an
  `http://`/`https://` literal, an f-string starting with one, a `Request` built from one, or a local
  variable holding one; Bandit flags every `urlopen`/`urlretrieve`, whatever the URL, and never `Request`.
- **B604/S604**: ruff needs `shell=` to be a truthy literal; Bandit takes any non-constant value as true.
  The same for B602: `subprocess.run("ls", shell=flag)` is Bandit LOW and no ruff finding; and
  `subprocess.run(shell=True, args="ls")` is a ruff finding only (Bandit needs a positional command).
- **B103/S103**: Bandit matches any callee whose name contains `chmod` (`os.fchmod`), needs exactly two
  positional arguments with an int literal, and flags group-write and other-execute too (0o664, 0o701);
  ruff only `os.chmod`, also `mode=`, also `stat.S_*` expressions, and only other-write or group-execute.
- **B202/S202**: Bandit needs `import tarfile` in the file (so `from tarfile import open` escapes it) and
  then flags any `.extractall`, zip files included; it accepts only `filter="data"` and crashes on
  `members=obj.method(...)`. ruff too flags every `.extractall` in a file that mentions `tarfile` (zip and
  rar receivers included), but also after `from tarfile import ...`, and it also accepts `filter="tar"`.
- **B701/S701**: Bandit goes by the callee's spelling (any dotted name holding `jinja2` and ending in
  `Environment`) and accepts an `autoescape=True` anywhere inside the call, nested calls included; ruff
  resolves `jinja2.Environment` through imports only (so not pandas' `jinja2 = import_optional_dependency(
  ...)`).
- **B506/S506**: Bandit skips `from yaml import load` (it needs `import yaml`) and accepts any Loader
  *spelled* `SafeLoader`/`CSafeLoader`; ruff resolves both.
- **B108/S108**: Bandit skips docstrings and flags `tempfile.mkdtemp(dir="/tmp")`; ruff the opposite.
- **B608/S608**: the SQL patterns differ: Bandit's has no word boundaries ("data*set* " is `SET`), ruff's
  also covers `replace ... values`.
- **B307/B102**: ruff also flags `builtins.eval` / `builtins.exec`. **B613**: ruff's PLE2502 also flags
  U+061C (ARABIC LETTER MARK) and reports every line; Bandit one character per file.
"""

RECOMMEND.update(
    {
        "B324": """\
**Recommendation: safe fix, `usedforsecurity=False`, when the target Python is ≥ 3.9 and nothing around the
call says "secret"; report only otherwise.** The keyword never changes the digest: it tells a FIPS-mode
OpenSSL build that md5/sha1 are allowed here, so on such builds the fix *removes* a crash. All 10 sites are
non-security uses (cache keys, shortened file names, feature hashing, integrity checks against a digest
someone else published, tests); none is a password, signature, token or MAC, and none passes
`usedforsecurity` yet. The fix's risk is semantic: it declares the hash non-security. What a rule must
handle:

- fix only when no word around the call (enclosing function, assignment target, the line) suggests a secret:
  `password`, `secret`, `token`, `sign`, `hmac`, `auth`, `salt`, `credential`, `nonce`, `session`; those
  stay findings with the reason;
- callees: `hashlib.md5`, `sha1`, `md4`, `sha` (Bandit's list) with the import resolved:
  `from hashlib import md5` → `md5(...)` (nltk) and `import hashlib as h` are findings for both tools;
- `hashlib.new("md5" | "MD5" | "sha1" | ..., data)` and `hashlib.new(name="md5")`: the name is matched
  case-insensitively; a non-literal name (`hashlib.new(algo)`) is no finding for either tool;
- the edit: insert `usedforsecurity=False` after the last argument (after a positional data argument; in
  an empty call as the only argument); keep a trailing comma and the call's layout;
- `usedforsecurity=False` already: no finding. `usedforsecurity=True`: a finding for both, but the author
  said "security": report only. `usedforsecurity=<name>`: Bandit skips it (it compares the keyword's text
  with `"True"`), ruff flags it: report only;
- `**kwargs` in the call: both tools flag it; report only (a duplicate keyword is a `TypeError`);
- target Python < 3.9 (`requires-python` in `pyproject.toml`, or a `sys.version_info` guard around the
  call): `usedforsecurity` is a `TypeError` there: report only;
- not this rule: `Crypto.Hash.MD5.new()` and `hashes.MD5()` are B303 (no switch exists: report only);
  `crypt.crypt(w, crypt.METHOD_MD5)` is B324 MEDIUM (report only; `crypt` is gone in 3.13);
  `hmac.new(key, msg, hashlib.md5)` (a real security use), `hashlib.file_digest(f, "md5")` and a
  `functools.partial(hashlib.md5, usedforsecurity=False)` wrapper (huggingface_hub's `insecure_hashlib`)
  are no finding for either tool.
""",
        "B303": """\
**Recommendation: report only.** Not in the data. `Crypto.Hash.MD5.new()` and `hashes.MD5()` have no
`usedforsecurity` switch, and another algorithm changes every digest.
""",
        "B602": """\
**Recommendation: report only for what the data holds; an unsafe fix for literal commands.** Every B602
finding (10 in the dev corpus, 4 in the supplement, none in transformers) is HIGH because the command is
not a str literal (13 f-strings, one `" ".join(...)`); a literal command is Bandit LOW and ruff's "seems
safe", and the data has none.

- *Interpolated, shell syntax in the literal text* (3: the `sox ... | sox ...` pipelines, `rm tmp/{x}_*`):
  report only; the shell is doing real work.
- *Interpolated, every value inside quotes* (3: `f'"{nvcc}" --version'`): `subprocess.check_output([nvcc,
  "--version"])` passes the same argument unless the value holds `"`, `$`, `` ` `` or `\\`, exactly the
  values that inject today. An unsafe fix, but `shell_words` would need words made of literal and run-time
  pieces (today `classify_parts` refuses any `Part::Dynamic`).
- *Interpolated, unquoted values* (7: `f'which {cmd}'`, `f'{cc} --version'`, `f'{ccompiler.cc}'`, the errant
  commands): the shell splits a value on blanks and drops an empty one; a list keeps it one argument, `""`
  included. Report only.
- *Computed* (`call(" ".join(cmd), shell=True)`, lightning): `call(cmd)` looks right but re-splitting after
  the join is what runs today: report only.

For the literal case (`subprocess.run("ls -l", shell=True)` → `subprocess.run(["ls", "-l"])`):
- one str literal or implicitly concatenated literals (`Part::Literal` each), accepted by
  `shell_words::classify`; the fix writes its argument list and drops `shell=True`;
- only `shell=True` or a truthy int literal; `shell=flag` (Bandit LOW, no ruff finding) is not fixed;
- `shell=True` with a list (Bandit HIGH): the first item is the whole script, the others `$0`, `$1`...: a
  different bug, report only;
- why unsafe: a missing program raises `FileNotFoundError` instead of exit status 127; `executable=` names
  the shell with `shell=True` and the program without; `sh` no longer exports `PWD`; `.pid` and signals
  reach the program instead of a shell; on Windows `shell=True` is `cmd.exe` with other quoting rules.
""",
        "B604": """\
**Recommendation: report only, and only for a truthy literal.** All 3 findings (roboflow's shell-completion
CLI) pass a shell *name* (`shell=shell`) to functions that start no process; Bandit counts any non-constant
`shell=` as true, ruff does not flag them. A rule should follow ruff.
""",
        "B605": """\
**Recommendation: report only; an unsafe fix for a literal command that `shell_words::classify`
accepts.** Three sites: `os.system('dvc init -f --no-scm')` (a plain literal, Bandit LOW),
`subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')` (a pipeline) and
`os.system(f"zstd -d {self.file}")` (an unquoted value). `os.system(cmd)` is no drop-in for
`subprocess.run(argv)`: it returns a *wait status* (`256` for exit 1), and the parent ignores SIGINT and
SIGQUIT while it waits. So a fix is right only where the result is discarded or compared with 0
(`os.system(c) != 0` → `subprocess.run([...]).returncode != 0`), and it is unsafe always.
`subprocess.getoutput` returns stdout and stderr merged, one trailing newline stripped, and never raises
on a missing program: too different for a rule.
""",
        "B701": """\
**Recommendation: report only.** The corpus has no jinja2 `Environment` at all (transformers renders chat
templates with `ImmutableSandboxedEnvironment`, which neither tool checks); the supplement has 5, and
neither standard fix is right for any of them:

- lm-eval's two environments render *prompts* and *YAML configs* with `env.from_string(...)`:
  `select_autoescape()` has `default_for_string=True`, so it would HTML-escape `<`, `>`, `&`, `'` and `"`
  in every prompt, a silent corruption of model inputs. `autoescape=True` likewise. A plain-text
  environment is right without escaping: the honest outcome is a suppression with its reason;
- pandas' Styler environments load `html.tpl`, `latex.tpl`, `typst.tpl`, `string.tpl`:
  `select_autoescape()` decides by extension, and `.tpl` is not in its list, so output would not change and
  the fix would only silence Bandit (pandas escapes values itself); `autoescape=True` would break the LaTeX
  and text output.

`autoescape=select_autoescape()` is a behaviour-preserving edit only for an environment that never calls
`from_string` and loads no `.html`/`.htm`/`.xml` name, i.e. only when it protects nothing; where it does
protect (HTML templates by name) it changes output by design. Neither is worth a fix. Matching: Bandit's
spelling-based callee (any dotted name with `jinja2`, ending `Environment`) finds pandas' environments that
ruff misses; no `autoescape` or `autoescape=False` is HIGH/HIGH, any other value but `True` and a
`select_autoescape(...)` call is HIGH/MEDIUM; `**kwargs` may hold it.
""",
        "B202": """\
**Recommendation: unsafe fix `filter="data"` for tar receivers without `members=`, guarded for the Python
version; report only otherwise.** No tar extraction in the corpus; in the supplement, keras and datasets
validate members themselves (`members=filter_safe_tarinfos(...)`; keras also passes `filter="data"` when
the Python has it), so the data has no site for the fix, only for the edge cases:

- `filter=` exists only where PEP 706 was backported (3.8.17, 3.9.17, 3.10.12, 3.11.4, 3.12+); elsewhere
  `extractall(filter="data")` is a `TypeError`. Without a known target, write
  `**({"filter": "data"} if hasattr(tarfile, "data_filter") else {})`, as keras does by hand;
- `filter="data"` changes behaviour on legitimate archives: it refuses absolute names, `..`, links that
  leave the destination or are absolute, device files; it clears setuid/setgid/sticky and group/other
  write bits and ignores stored owners. A model or dataset tarball with a symlink into a sibling directory
  stops extracting (an exception, not silently);
- Python 3.14 makes `"data"` the default, so there the fix is a no-op;
- Bandit accepts only the literal `"data"` (`filter="tar"` is HIGH for Bandit, nothing for ruff);
  `filter="fully_trusted"` or `filter=<callable>` are the author's choice: report only;
- `members=` given: the author validates (Bandit LOW or MEDIUM); report only. Bandit drops the finding
  when `members=obj.method(...)` (it crashes): a rule must not;
- the receiver must be a tar file: `tarfile.open(...)` assigned or in `with`, `tarfile.TarFile(...)`. Both
  tools flag `ZipFile.extractall` (and rarfile's) in any file that imports tarfile (keras, datasets), and
  Bandit misses everything in a file that only does `from tarfile import open`. `zipfile` has no
  `filter=`: adding it there is a `TypeError`.
""",
        "B506": """\
**Recommendation: safe fix `yaml.load(s)` → `yaml.safe_load(s)` when no Loader is passed at all; report
only otherwise.** The data has no such call: mmengine's `yaml.load(file, **kwargs)` defaults the Loader to
`yaml.CLoader`/`yaml.Loader` (full object construction), and lm-eval's `yaml.load(fh, Loader=loader_cls)` is
commented as needed for `!function` tags; both deliberate. lightning's `yaml.full_load` is flagged by
neither tool.

- no Loader: PyYAML ≥ 6 raises `TypeError` (the Loader became required), so the call targets PyYAML 5, where
  it meant `FullLoader` with a warning pointing to `safe_load`. `safe_load` returns the same for every
  document without Python-specific tags (`!!python/tuple`, `!!python/name:...`) and raises on those,
  which is the point: safe to fix;
- `Loader=yaml.SafeLoader`/`CSafeLoader`, keyword or second positional: no finding. `yaml.BaseLoader` is a
  finding for both tools although it constructs only strings, lists and dicts: a rule may accept it;
- `Loader=yaml.Loader|UnsafeLoader|FullLoader` or a custom class (a `SafeLoader` subclass is a finding for
  both): `safe_load` would drop the tags the author asked for: report only;
- `**kwargs`: report only. Match `from yaml import load` too (ruff does, Bandit does not).
""",
        "B301": """\
**Recommendation: report only.** No rewrite makes unpickling safe. The message should say what the data
says the findings are: payloads between the processes of one job (mmengine's dist helpers, its
shared-memory dataset), a round-trip picklability check, a generic `load()` API, and, the real risk,
files downloaded from the Hub (transformers' RAG index and passages). Most of the supplement's 55 are
pandas' and keras' tests. Match `from pickle import loads` and `pd.read_pickle` (both tools do); neither
flags `joblib.load`, `cloudpickle.loads`, `numpy.load(allow_pickle=True)` or `torch.load` (B614 covers
the last).
""",
        "B108": """\
**Recommendation: report only.** `os.path.join(tempfile.gettempdir(), "x")` in place of `"/tmp/x"` fixes
nothing that matters (the name stays predictable in a shared directory, the actual risk) and changes
behaviour when `TMPDIR` is set. The sites: a fixed file name (`"/tmp/char_vocab.txt"`, whose real fix is
`tempfile.NamedTemporaryFile`/`mkstemp`, a code change), `/dev/shm` (shared memory, no `tempfile`
equivalent), a path in a *remote* sandbox (`"/tmp/" + uuid`), keras' fallback home directory, and test
literals. Matching: any str constant *starting with* `/tmp`, `/var/tmp` or `/dev/shm` (`"/tmpfile"`
too), f-string literal parts included, bytes never; Bandit skips docstrings and flags
`tempfile.mkdtemp(dir="/tmp")`, ruff the opposite.
""",
        "B103": """\
**Recommendation: report only.** 0o755 on an executable the CLI has just installed, and 0o666 on shared
cache blobs meant to be writable by every user of the cache: both deliberate, and a narrower mode breaks the
feature. Matching: see the disagreements above (callee spelling, `mode=`, `stat` expressions, which bits).
""",
        "B307": """\
**Recommendation: unsafe fix `eval(s)` → `ast.literal_eval(s)` only for a str literal that
`ast.literal_eval` accepts; report only otherwise.** The data has no such site: mmengine evaluates compiled
config code (`eval(compile(...))`, `eval(codeobj, g, l)`), nltk builds decorators from source, lm-eval
evaluates task expressions (behind `# noqa`), and the supplement's other 24 are pandas' tests.
`ast.literal_eval` cannot run code, names or calls, so on anything but literal data it raises
`ValueError`. `model.eval()` is a method: neither tool flags it, nor may a rule.
""",
        "B102": """\
**Recommendation: report only.** Every site runs code on purpose (mmengine's Python config files, trl's
tool functions from a remote environment, lm-eval's code-execution benchmark). No rewrite exists.
""",
        "B104": """\
**Recommendation: report only.** The check is the *string* `"0.0.0.0"` anywhere (not `"::"`, not `""`, not
`"0.0.0.0:8000"`). 10 of the 11 sites are trl's *client* configuration, the host of a vLLM server to
connect to, where `0.0.0.0` works only by accident (Linux maps it to localhost); one is the server's bind
host, where it is the documented way to serve other machines. A message telling the two apart is the
useful output; changing either default breaks users.
""",
        "B310": """\
**Recommendation: report only; skip what ruff skips.** Every site but one takes its URL at run time (from
a config, a caller, an environment variable); lightning's loops over a class constant of `https://` URLs,
and nemo's uses a local variable holding one. Two roboflow calls are preceded by a check that the string
*contains* `http://` or `https://` (so `"file:///x?https://"` passes). A rule should skip a literal
`http(s)://` URL, an f-string starting with one, a `Request` built from one and a local variable bound to
one (all as ruff does), and report the rest. Inserting a scheme check is a behaviour change for `file:`
users: not in this round.
""",
        "B613": """\
**Recommendation: report every occurrence; a safe fix only inside plain string literals.** None in the
corpus or the supplement. `bidi::find_all` gives every character with its line and character column;
`bidi::bandit_first` reproduces Bandit's single finding per file (first line by `str.splitlines`, then the
first character *in Bandit's list order*, column = index + 1). Inside a str literal that is neither raw,
bytes nor an f-string, replacing the character with its escape (`\\u202e`) keeps the value and makes it
visible: safe. In comments the character can simply be deleted, but that changes what a human reads: an
unsafe fix. Elsewhere (identifiers cannot hold it; raw strings, bytes, f-string parts) report only.
""",
        "B608": """\
**Recommendation: report only, and match more narrowly than Bandit.** All 10 findings in the dev corpus
and transformers are error messages (`f"Select task from {choices}"`, `f"Cannot select channel {i} from
..."`), Bandit LOW confidence. The supplement's 17 include real SQL: pandas' `io/sql.py` builds `SELECT`
and `INSERT` statements from quoted identifiers, plus its tests. A useful rule requires the string to
start with an SQL verb or to reach `.execute(...)`/`.executemany(...)`. No rewrite: parameterising a query
is a code change.
""",
    }
)
RECOMMEND["B314"] = """\
**Recommendation: report only, naming `defusedxml`; the same for B313 and B315-B319.** The sites parse
dataset files (datasets' streaming XML helpers), documents given to pandas' `read_xml`, pandas' own
output (`to_xml` pretty-printing), and nltk's signature-checking code. Since Python 3.7.1 expat does not
resolve external entities, so what remains is entity expansion ("billion laughs"); the remedy is
`defusedxml`, a new dependency, so no codemod. llama-index already parses with `defusedxml.ElementTree`,
which neither tool flags. `ET.XMLParser()` on its own is a finding; `ET.ElementTree(file=f)` is not, for
either tool. lxml (B320/S320) is no longer checked by either.
"""
for _c in XML_CODES:
    if _c != "B314":
        RECOMMEND[_c] = "**Recommendation: report only**, as for B314."


# The report's last section is written from scripts/rule-stats.py's output,
# not by this script: a re-run keeps it, from this line on.
TAIL_MARKER = "<!-- written from scripts/rule-stats.py; scripts/bandit-survey.py keeps it -->"


def kept_tail(out):
    """The part of an existing report from TAIL_MARKER on, or ''."""
    try:
        old = out.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    at = old.find(TAIL_MARKER)
    return "\n" + old[at:] if at >= 0 else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", help="venv with bandit and ruff (default: scripts/python-env.sh)")
    ap.add_argument("--work", help="where raw outputs go (default: <cache>/survey)")
    ap.add_argument("--out", default=str(TOP / "docs" / "bandit-high-medium.md"))
    ap.add_argument("--no-extra", action="store_true", help="skip the supplement packages")
    ap.add_argument("--reuse", action="store_true", help="read raw outputs from WORK instead of running the tools")
    args = ap.parse_args()

    work = Path(args.work) if args.work else cache_dir() / "survey"
    work.mkdir(parents=True, exist_ok=True)
    venv = setup_venv(args.venv)
    packages = setup_corpus()
    if not args.no_extra:
        packages += setup_extra(venv, work)
    findings, files = collect(venv, packages, work, args.reuse)
    log("probes")
    probes = run_probes(venv, work)
    report = build(findings, files, probes, packages)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n" + kept_tail(out), encoding="utf-8")
    fields = [x.name for x in dataclasses.fields(Finding) if x.name != "site"]
    (work / "findings.json").write_text(
        json.dumps([{k: getattr(f, k) for k in fields} for f in findings], indent=1, default=str)
    )
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
