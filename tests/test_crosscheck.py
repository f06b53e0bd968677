"""Unit tests of tests/crosscheck.py on small made-up inputs (no corpus, no tools).

    python3 -m unittest discover -s tests -p 'test_crosscheck.py'
"""

import contextlib
import io
import os
import stat
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crosscheck as xc


def finding(path, line, rule, bandit=None, ruff=None):
    return {"path": path, "line": line, "column": 1, "end_line": line, "rule": rule,
            "bandit": bandit, "ruff": ruff, "message": "", "fixable": False, "fix_safety": None}


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = fn(*args, **kwargs)
    return result, out.getvalue()


class TempRoot(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.root = Path(tmp.name).resolve()
        self.norm = xc.PathNormaliser(self.root)

    def write(self, rel, data):
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
        return p


class PathsAndRecall(TempRoot):
    def test_paths_as_printed_by_each_tool_meet(self):
        bandit = {"results": [{"test_id": "B614", "filename": "pkg-1/a.py", "line_number": 3}]}
        ruff = [{"code": "E722", "filename": str(self.root / "pkg-1" / "a.py"), "location": {"row": 7}},
                {"code": None, "filename": str(self.root / "pkg-1" / "b.py"), "location": {"row": 1}}]
        found = xc.remediate_findings({"findings": [
            finding("./pkg-1/a.py", 3, "torch-load", "B614"),
            finding("pkg-1//a.py", 7, "bare-except", ruff="E722"),
        ]}, self.norm)
        b_rows = xc.compare("bandit", xc.BANDIT_RULES, xc.bandit_refs(bandit, self.norm), found)
        r_rows, _ = quiet(xc.compare, "ruff", xc.RUFF_RULES, xc.ruff_refs(ruff, self.norm), found)
        by_code = {r.code: r for r in b_rows + r_rows}
        self.assertEqual(by_code["B614"].recall, 1.0)
        self.assertEqual(by_code["E722"].recall, 1.0)
        self.assertIsNone(by_code["B110"].recall)  # no reference: no verdict
        self.assertTrue(by_code["B110"].ok)

    def test_paths_relative_to_another_cwd(self):
        (self.root / "sub").mkdir()
        self.assertEqual(self.norm("../pkg/a.py", str(self.root / "sub")), os.path.join("pkg", "a.py"))

    def test_wrong_rule_or_line_is_a_miss(self):
        refs = [xc.Ref("B113", "p/a.py", 10), xc.Ref("B113", "p/a.py", 20), xc.Ref("B110", "p/b.py", 5)]
        found = [finding("p/a.py", 10, "http-timeout", "B113"),
                 finding("p/a.py", 21, "http-timeout", "B113"),   # off by one line
                 finding("p/b.py", 5, "except-continue", "B112")]  # other rule
        rows = {r.code: r for r in xc.compare("bandit", xc.BANDIT_RULES, refs, found)}
        self.assertEqual([(m.path, m.line) for m in rows["B113"].misses], [("p/a.py", 20)])
        self.assertEqual(rows["B113"].recall, 0.5)
        self.assertFalse(rows["B113"].ok)
        self.assertEqual(len(rows["B110"].misses), 1)

    def test_ruff_matches_within_the_call_span_bandit_only_its_first_line(self):
        multi_line = dict(finding("p/a.py", 10, "http-timeout", "B113"), end_line=13)
        ruff_refs = [xc.Ref("S113", "p/a.py", 12)]   # ruff: at the `timeout=None` keyword
        bandit_refs = [xc.Ref("B113", "p/a.py", 12)]
        self.assertTrue(xc.compare("ruff", xc.RUFF_RULES, ruff_refs, [multi_line])[0].ok)
        rows = {r.code: r for r in xc.compare("bandit", xc.BANDIT_RULES, bandit_refs, [multi_line])}
        self.assertEqual(len(rows["B113"].misses), 1)

    def test_bandit_puts_shell_findings_on_the_keyword_line(self):
        call = dict(finding("p/a.py", 10, "subprocess-shell", "B602"), end_line=13)
        rows = {r.code: r for r in xc.compare("bandit", xc.BANDIT_RULES, [xc.Ref("B602", "p/a.py", 12)], [call])}
        self.assertEqual(rows["B602"].recall, 1.0)

    def test_bandit_puts_trojan_source_on_the_line_of_the_character(self):
        string = dict(finding("p/a.py", 4, "trojan-source", "B613"), end_line=7)
        rows = {r.code: r for r in xc.compare("bandit", xc.BANDIT_RULES, [xc.Ref("B613", "p/a.py", 6)], [string])}
        self.assertEqual(rows["B613"].recall, 1.0)
        rows = {r.code: r for r in xc.compare("bandit", xc.BANDIT_RULES, [xc.Ref("B613", "p/a.py", 8)], [string])}
        self.assertEqual(len(rows["B613"].misses), 1)

    def test_allowed_misses_leave_the_denominator_and_must_stay_true(self):
        (code, path, line), _ = next(iter(xc.ALLOWED_MISSES.items()))
        refs = [xc.Ref(code, path, line), xc.Ref(code, "p/a.py", 3)]
        rows = {r.code: r for r in xc.compare("bandit", xc.BANDIT_RULES, refs, [finding("p/a.py", 3, xc.BANDIT_RULES[code], code)])}
        self.assertEqual((rows[code].recall, len(rows[code].allowed), rows[code].misses), (1.0, 1, []))
        checks = xc.Checks()
        quiet(xc.check_allowed_misses, list(rows.values()), checks, {"p"})
        self.assertTrue(checks.items[0][1])  # the entries name another package
        _, printed = quiet(xc.check_allowed_misses, list(rows.values()), checks, {"p", Path(path).parts[0]})
        self.assertFalse(checks.items[1][1])  # the other entries of that package are stale here
        self.assertIn("stale allowed miss", printed)
        # A code whose every finding is an allowed miss gives no verdict.
        only_allowed = xc.compare("bandit", {code: xc.BANDIT_RULES[code]}, [xc.Ref(code, path, line)], [])[0]
        self.assertIsNone(only_allowed.recall)
        status, printed = quiet(xc.finish, [only_allowed], xc.Checks(), None)
        self.assertEqual(status, 0)
        # ruff has no allowed misses: the same site is a plain miss.
        ruff_rows = xc.compare("ruff", {"S604": "call-with-shell"}, [xc.Ref("S604", path, line)], [])
        self.assertEqual(len(ruff_rows[0].misses), 1)

    def test_threshold(self):
        refs = [xc.Ref("B614", "a.py", n) for n in range(1, 21)]
        found = [finding("a.py", n, "torch-load") for n in range(1, 20)]  # 19/20 = 0.95
        row = xc.compare("bandit", {"B614": "torch-load"}, refs, found)[0]
        self.assertTrue(row.ok)
        row = xc.compare("bandit", {"B614": "torch-load"}, refs, found[1:])[0]
        self.assertFalse(row.ok)

    def test_extras_only_count_findings_with_that_tools_code(self):
        refs = [xc.Ref("B614", "a.py", 1)]
        found = [finding("a.py", 1, "torch-load", "B614"),
                 finding("a.py", 9, "torch-load", "B614"),
                 finding("a.py", 5, "hf-remote-code")]
        self.assertEqual([f["line"] for f in xc.extras(found, refs, "bandit")], [9])

    def test_source_lines(self):
        self.write("p/crlf.py", b"x = 1\r\n  y = torch.load(f)\r\n")
        src = xc.Sources(self.root)
        self.assertEqual(src.line("p/crlf.py", 2), "y = torch.load(f)")
        self.assertEqual(src.line("p/crlf.py", 9), "")
        self.assertEqual(src.line("p/gone.py", 1), "")


class Compile(TempRoot):
    def test_coding_declaration_is_honoured(self):
        p = self.write("latin.py", "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"))
        self.assertIsNone(xc.compile_error(p))

    def test_repeated_keyword_is_an_error(self):
        p = self.write("dup.py", "torch.load(f, weights_only=True, weights_only=True)\n")
        self.assertIn("keyword argument repeated", xc.compile_error(p))

    def test_syntax_error_names_the_line(self):
        p = self.write("bad.py", "x = 1\nrequests.get(url, timeout=30,,)\n")
        self.assertIn("line 2", xc.compile_error(p))

    def test_null_byte(self):
        p = self.write("nul.py", b"x = 1\x00\n")
        self.assertIsNotNone(xc.compile_error(p))


FAKE_FIX = textwrap.dedent("""\
    #!/usr/bin/env python3
    # Stand-in for `remediate fix`: MODE says how it misbehaves.
    import os, sys
    mode = os.environ["FAKE_MODE"]
    a = os.path.join(sys.argv[-1], "a.py")
    src = open(a).read()
    if mode == "good" and "timeout" not in src:
        src = src.replace("get(url)", "get(url, timeout=60)")
    elif mode == "broken":
        src = src.replace("get(url)", "get(url,, timeout=60)")
    elif mode == "unstable":
        src += "# again\\n"
    elif mode == "manifest":
        open(os.path.join(sys.argv[-1], "MANIFEST.sha256"), "a").write("x\\n")
    elif mode == "litter":
        open(a + ".bak", "w").write(src)
    open(a, "w").write(src)
""")


class FixStep(TempRoot):
    def run_fix(self, mode):
        self.write("corpus/pkg-1/a.py", "requests.get(url)\n")
        self.write("corpus/pkg-1/MANIFEST.sha256", "abc  a.py\n")
        fake = self.write("fake-remediate", FAKE_FIX)
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        out = self.root / "out"
        out.mkdir()
        checks = xc.Checks()
        runner = xc.Runner(fake, self.root, out, checks)
        os.environ["FAKE_MODE"] = mode
        self.addCleanup(os.environ.pop, "FAKE_MODE")
        changed, printed = quiet(xc.fix_step, runner, self.root / "pins.yaml", ["pkg-1"],
                                 self.root / "corpus", self.root / "copy", checks)
        return changed, {name: ok for name, ok, _ in checks.items}, printed

    def test_good_fix(self):
        changed, checks, _ = self.run_fix("good")
        self.assertEqual(changed, [os.path.join("pkg-1", "a.py")])
        self.assertTrue(all(checks.values()), checks)
        self.assertEqual((self.root / "corpus/pkg-1/a.py").read_text(), "requests.get(url)\n")
        self.assertIn("timeout=60", (self.root / "out/fix.diff").read_text())

    def test_broken_fix(self):
        _, checks, printed = self.run_fix("broken")
        self.assertFalse(checks["fix: every changed file compiles"])
        self.assertIn("broken   pkg-1/a.py", printed)

    def test_unstable_fix(self):
        _, checks, printed = self.run_fix("unstable")
        self.assertFalse(checks["fix: a second fix changes nothing"])
        self.assertIn("unstable pkg-1/a.py", printed)

    def test_non_python_file_changed(self):
        _, checks, _ = self.run_fix("manifest")
        self.assertFalse(checks["fix: file set unchanged, only .py files changed"])

    def test_file_left_behind(self):
        _, checks, printed = self.run_fix("litter")
        self.assertFalse(checks["fix: file set unchanged, only .py files changed"])
        self.assertIn("added    pkg-1/a.py.bak", printed)


class Finish(unittest.TestCase):
    def test_exit_status(self):
        miss = xc.Recall("bandit", "B614", "torch-load", [xc.Ref("B614", "a.py", 1)])
        miss.misses = list(miss.refs)
        status, printed = quiet(xc.finish, [miss], xc.Checks(), None)
        self.assertEqual(status, 1)
        self.assertTrue(printed.rstrip().endswith("crosscheck: 0 passed, 1 failed"))
        os.environ["CROSSCHECK_ALLOW_FAIL"] = "1"
        try:
            status, _ = quiet(xc.finish, [miss], xc.Checks(), None)
        finally:
            del os.environ["CROSSCHECK_ALLOW_FAIL"]
        self.assertEqual(status, 0)

    def test_codes_without_reference_are_not_checks(self):
        empty = xc.Recall("ruff", "E722", "bare-except", [])
        status, printed = quiet(xc.finish, [empty], xc.Checks(), None)
        self.assertEqual(status, 0)
        self.assertIn("crosscheck: 0 passed, 0 failed", printed)


if __name__ == "__main__":
    unittest.main()
