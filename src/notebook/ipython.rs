//! IPython syntax in a code cell, hidden from the Python parsers without
//! moving a byte.
//!
//! IPython reads a cell before Python does: `%magic`, `!shell`, `x = !cmd`,
//! `obj?`, `/autocall` and `%%cell` magics are its own. This module finds
//! those lines and writes, over each, a placeholder of the same byte length
//! that Python reads as nothing (a comment), or as a no-op statement where a
//! comment would leave an indented block empty. Which decisions are made is
//! documented on the [`super`] module.

use std::ops::Range;

use super::lines::{self, Line};

/// How IPython reads one code cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CellSyntax {
    /// Python once the IPython lines are masked.
    Python(MaskedCell),
    /// A `%%name` cell magic whose body is not Python (`%%bash`, `%%writefile`).
    CellMagic(String),
    /// Ends inside a string, brackets or a backslash continuation. Jupyter
    /// cannot run such a cell either; joined to the next cells it would
    /// swallow them.
    Unterminated,
}

/// A cell's text with its IPython syntax masked: `text` has the cell's length
/// and its line structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MaskedCell {
    pub(crate) text: String,
    pub(crate) masks: Vec<Mask>,
}

/// One masked stretch of a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mask {
    /// The bytes that edits may not touch: from the line's start through its
    /// line ending (for a whole line), or through the IPython prefix (for
    /// `%time code`). A last line without an ending reaches one past the
    /// cell's end, over the newline that ends the cell in the virtual source.
    pub(crate) protected: Range<usize>,
    /// The bytes replaced in the text Python sees.
    pub(crate) replaced: Range<usize>,
    /// The 1-based line in the cell, for messages.
    pub(crate) line: usize,
}

/// Cell magics whose body is Python run in the notebook's namespace (or, for
/// `%%python`-like ones, as a script): their first line is masked and the
/// rest read as any cell.
const PYTHON_BODY_MAGICS: &[&str] =
    &["time", "timeit", "capture", "prun", "debug", "python", "python3", "pypy", "ipytest"];

/// Line magics and shell aliases IPython runs without `%` (automagic), the
/// ones seen at the start of notebook lines: `pip install torch`, `cd data`.
const AUTOMAGICS: &str =
    "alias autoawait autocall automagic autoreload aimport bookmark cat cd colors conda config cp \
     debug dhist dirs doctest_mode edit env gui history load load_ext loadpy logstart logstop ls \
     lsmagic macro magic mamba matplotlib micromamba mkdir mv notebook page pdb pdef pdoc pfile pinfo \
     pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat pylab quickref recall \
     rehashx reload_ext rerun reset reset_selective rm rmdir run save sc set_env store sx system tb \
     time timeit unalias unload_ext who who_ls whos xdel xmode";

/// Reads one code cell the way IPython would, masking what is not Python.
pub(super) fn read_cell(source: &str) -> CellSyntax {
    let lines = lines::split(source);
    let mut reader = CellReader { source, masks: Vec::new(), placeholders: Vec::new(), lexer: Lexer::default() };
    let mut next = 0;
    // IPython drops leading blank lines before it looks for a cell magic.
    if let Some(first) = lines.iter().position(|line| !source[line.start..line.end].trim().is_empty()) {
        if let Some(name) = cell_magic_name(&source[lines[first].start..lines[first].end]) {
            if !PYTHON_BODY_MAGICS.contains(&name) {
                return CellSyntax::CellMagic(name.to_string());
            }
            reader.mask_line(&lines, first, false);
            next = first + 1;
        }
    }
    while next < lines.len() {
        next = reader.read_line(&lines, next);
    }
    match reader.lexer.at_statement_start() {
        true => CellSyntax::Python(reader.finish()),
        false => CellSyntax::Unterminated,
    }
}

/// The name of a `%%name` cell magic opening this line, if it is one.
fn cell_magic_name(line: &str) -> Option<&str> {
    let name = line.trim_start().strip_prefix("%%")?;
    Some(name.split_whitespace().next().unwrap_or_default())
}

struct CellReader<'a> {
    source: &'a str,
    masks: Vec<Mask>,
    placeholders: Vec<String>,
    lexer: Lexer,
}

impl CellReader<'_> {
    /// Reads line `index` and returns the index of the next line to read.
    fn read_line(&mut self, lines: &[Line], index: usize) -> usize {
        let line = lines[index];
        let text = &self.source[line.start..line.end];
        if !self.lexer.at_statement_start() {
            self.lexer.scan_line(text);
            return index + 1;
        }
        // A masked line right below `if x:` must stay a statement.
        let fills_block = self.lexer.opens_block;
        match escape_kind(text) {
            Some(Escape::Line) => self.mask_escape_line(lines, index, fills_block),
            Some(Escape::Prefix(len)) => {
                self.mask_prefix(line, index, len);
                self.lexer.scan_line(&text[len..]);
                index + 1
            }
            None => {
                let last = self.lexer.scan_line(text);
                // `obj?` and `obj??`: help, unless inside brackets or a string.
                if last == Some(b'?') && self.lexer.at_statement_start() {
                    self.mask_line(lines, index, fills_block);
                }
                index + 1
            }
        }
    }

    /// Masks an escaped line and the lines it continues onto with a trailing
    /// backslash, as IPython joins them.
    fn mask_escape_line(&mut self, lines: &[Line], index: usize, fills_block: bool) -> usize {
        self.mask_line(lines, index, fills_block);
        self.lexer.opens_block = false;
        let mut next = index + 1;
        let mut previous = lines[index];
        while next < lines.len() && self.source[previous.start..previous.end].ends_with('\\') {
            self.mask_line(lines, next, false);
            previous = lines[next];
            next += 1;
        }
        next
    }

    /// Masks the whole of line `index`, keeping its indentation. A line that
    /// is the first of an indented block (`fills_block`) becomes `...` or
    /// `0`, since a comment would leave the block empty; any other becomes a
    /// comment, which Python accepts at any indentation.
    fn mask_line(&mut self, lines: &[Line], index: usize, fills_block: bool) {
        let line = lines[index];
        let text = &self.source[line.start..line.end];
        let indent = indentation(text);
        let body_len = text.len() - indent;
        let mut placeholder = String::with_capacity(body_len);
        if fills_block && indent > 0 {
            placeholder.push_str(if body_len >= 3 { "..." } else { "0" });
        }
        pad_with_comment(&mut placeholder, body_len);
        let protected_end = if line.next > line.end { line.next } else { line.end + 1 };
        self.push(line.start..protected_end, line.start + indent..line.end, index, placeholder);
    }

    /// Masks the `%time ` or `%timeit -n 3 ` before a statement as `0;`
    /// and spaces: the statement stays visible at its place.
    fn mask_prefix(&mut self, line: Line, index: usize, len: usize) {
        let indent = indentation(&self.source[line.start..line.end]);
        let mut placeholder = String::from("0;");
        placeholder.extend(std::iter::repeat_n(' ', len - indent - 2));
        self.push(line.start..line.start + len, line.start + indent..line.start + len, index, placeholder);
    }

    fn push(&mut self, protected: Range<usize>, replaced: Range<usize>, index: usize, placeholder: String) {
        self.masks.push(Mask { protected, replaced, line: index + 1 });
        self.placeholders.push(placeholder);
    }

    fn finish(self) -> MaskedCell {
        let mut text = String::with_capacity(self.source.len());
        let mut copied = 0;
        for (mask, placeholder) in self.masks.iter().zip(&self.placeholders) {
            text.push_str(&self.source[copied..mask.replaced.start]);
            text.push_str(placeholder);
            copied = mask.replaced.end;
        }
        text.push_str(&self.source[copied..]);
        MaskedCell { text, masks: self.masks }
    }
}

/// `#` and spaces up to `len` bytes after what `out` already holds.
fn pad_with_comment(out: &mut String, len: usize) {
    if out.len() < len {
        out.push('#');
    }
    let fill = len.saturating_sub(out.len());
    out.extend(std::iter::repeat_n(' ', fill));
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t', '\x0c']).len()
}

/// What IPython makes of a line that starts a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// The whole line is IPython's: `%magic`, `!cmd`, `?obj`, `x = !cmd`,
    /// `/f x`, `pip install x`.
    Line,
    /// The first `n` bytes (indentation included) are `%time` or `%timeit`
    /// with options, and Python follows.
    Prefix(usize),
}

fn escape_kind(line: &str) -> Option<Escape> {
    let indent = indentation(line);
    let body = &line[indent..];
    match body.bytes().next()? {
        b'%' => Some(timed_statement(body).map_or(Escape::Line, |len| Escape::Prefix(indent + len))),
        // None of these can start a Python statement.
        b'!' | b'?' | b'/' | b',' | b';' => Some(Escape::Line),
        _ if assigns_escape(body) || is_automagic(body) => Some(Escape::Line),
        _ => None,
    }
}

/// For `%time stmt` and `%timeit [options] stmt`, the length before `stmt`.
fn timed_statement(body: &str) -> Option<usize> {
    let (name, mut rest) = body.strip_prefix('%')?.split_once([' ', '\t'])?;
    if name != "time" && name != "timeit" {
        return None;
    }
    loop {
        rest = rest.trim_start();
        let Some(option) = rest.strip_prefix('-') else { break };
        if name != "timeit" {
            return None;
        }
        rest = timeit_option(option)?;
    }
    match rest.is_empty() || rest.starts_with('#') {
        true => None,
        false => Some(body.len() - rest.len()),
    }
}

/// The text after one `%timeit` option (its `-` already read).
fn timeit_option(option: &str) -> Option<&str> {
    let (flag, after) = option.split_at_checked(1)?;
    match flag {
        "t" | "c" | "q" | "o" => Some(after),
        // `-n 10` or `-n10`
        "n" | "r" | "p" => {
            let value = after.trim_start();
            let digits = value.bytes().take_while(u8::is_ascii_digit).count();
            (digits > 0).then(|| &value[digits..])
        }
        _ => None,
    }
}

/// `files = !ls`, `d["out"] = !ls` or `out = %sx ls`: an assignment whose
/// value is an IPython escape.
fn assigns_escape(body: &str) -> bool {
    assignment_operator(body).is_some_and(|at| body[at + 1..].trim_start().starts_with(['!', '%']))
}

/// Where the first `=` that assigns (not `==`, `<=`, `+=`, `:=`) is, outside
/// brackets, strings and a comment.
fn assignment_operator(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut quote = None;
    for (at, &byte) in bytes.iter().enumerate() {
        if let Some(open) = quote {
            if byte == open && bytes[at - 1] != b'\\' {
                quote = None;
            }
            continue;
        }
        match byte {
            b'\'' | b'"' => quote = Some(byte),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' => return None,
            b'=' if depth == 0 => {
                let before = at.checked_sub(1).map(|i| bytes[i])?;
                let compares = bytes.get(at + 1) == Some(&b'=') || b"=!<>+-*/%&|^@:".contains(&before);
                return (!compares).then_some(at);
            }
            _ => {}
        }
    }
    None
}

fn is_identifier_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// `pip install torch`, `cd /data`, `ls -la`: a magic or alias name, a space,
/// then something that cannot continue a Python expression there. `cd = 3`,
/// `time.sleep(1)`, `env - 1`, `run if x else y` stay Python.
fn is_automagic(body: &str) -> bool {
    let name_len = body.find(|c: char| !is_identifier_char(c)).unwrap_or(body.len());
    let (name, rest) = body.split_at(name_len);
    let argument = rest.trim_start_matches([' ', '\t']);
    if !AUTOMAGICS.split_whitespace().any(|magic| magic == name) || argument.len() == rest.len() || argument.is_empty()
    {
        return false;
    }
    !continues_expression(argument)
}

/// Whether `text`, after a name and a space, reads as the rest of a Python
/// statement.
fn continues_expression(text: &str) -> bool {
    const OPERATOR_CHARS: &str = "+-*/%&|^<>@~!=";
    const KEYWORDS: &[&str] = &["if", "else", "for", "in", "is", "and", "or", "not", "as"];
    if text.starts_with(['#', '=', '(', '[', '.', ',', ':', ';', ')', ']', '}']) {
        return true;
    }
    let operator_len = text.find(|c: char| !OPERATOR_CHARS.contains(c)).unwrap_or(text.len());
    if operator_len > 0 {
        let (operator, after) = text.split_at(operator_len);
        // `x += 1`, `x == y`, `end - start` are Python; `cd -`, `ls -la`,
        // `cd /tmp` are not meant as such.
        return operator.contains('=') || after.starts_with([' ', '\t']);
    }
    let word_len = text.find(|c: char| !is_identifier_char(c)).unwrap_or(text.len());
    KEYWORDS.contains(&&text[..word_len])
}

/// Just enough of Python's tokenizer to know whether a line starts a new
/// statement: open strings, open brackets and backslash continuations.
#[derive(Debug, Default)]
struct Lexer {
    depth: usize,
    continued: bool,
    string: Option<OpenString>,
    /// The last statement read ends with `:`: an indented block must follow.
    opens_block: bool,
}

#[derive(Debug, Clone, Copy)]
struct OpenString {
    quote: u8,
    triple: bool,
}

impl Lexer {
    fn at_statement_start(&self) -> bool {
        self.depth == 0 && !self.continued && self.string.is_none()
    }

    /// Reads one line (without its ending); returns the last byte of code on
    /// it outside strings and comments.
    fn scan_line(&mut self, line: &str) -> Option<u8> {
        let bytes = line.as_bytes();
        let mut last = None;
        let mut pos = 0;
        self.continued = false;
        while pos < bytes.len() {
            if let Some(open) = self.string {
                pos = self.scan_string(bytes, pos, open);
                if self.string.is_none() {
                    last = Some(open.quote);
                }
                continue;
            }
            let byte = bytes[pos];
            match byte {
                b'#' => break,
                b'\'' | b'"' => {
                    let triple = bytes[pos..].starts_with(&[byte, byte, byte]);
                    self.string = Some(OpenString { quote: byte, triple });
                    pos += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => self.depth += 1,
                b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b'\\' if pos + 1 == bytes.len() => self.continued = true,
                _ => {}
            }
            if !byte.is_ascii_whitespace() && !self.continued {
                last = Some(byte);
            }
            pos += 1;
        }
        self.end_line(bytes);
        if let (Some(last), true) = (last, self.at_statement_start()) {
            self.opens_block = last == b':';
        }
        last
    }

    /// Reads inside an open string from `pos`; returns where reading stops
    /// (after the closing quote, or the line's end).
    fn scan_string(&mut self, bytes: &[u8], mut pos: usize, open: OpenString) -> usize {
        while pos < bytes.len() {
            match bytes[pos] {
                b'\\' => pos += 2,
                quote if quote == open.quote => {
                    let closes = !open.triple || bytes[pos..].starts_with(&[quote, quote, quote]);
                    if closes {
                        self.string = None;
                        return pos + if open.triple { 3 } else { 1 };
                    }
                    pos += 1;
                }
                _ => pos += 1,
            }
        }
        bytes.len()
    }

    /// A one-quote string ends with its line unless a backslash continues it
    /// (an unterminated one is an error Python reports; we just move on).
    fn end_line(&mut self, bytes: &[u8]) {
        let Some(open) = self.string else { return };
        let trailing_backslashes = bytes.iter().rev().take_while(|&&b| b == b'\\').count();
        if !open.triple && trailing_backslashes % 2 == 0 {
            self.string = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(source: &str) -> String {
        match read_cell(source) {
            CellSyntax::Python(cell) => {
                assert_eq!(cell.text.len(), source.len(), "masking moved bytes");
                cell.text
            }
            other => panic!("read as {other:?}"),
        }
    }

    fn unchanged(source: &str) {
        assert_eq!(masked(source), source);
    }

    #[test]
    fn line_magics_and_shell_escapes_become_comments() {
        assert_eq!(masked("%matplotlib inline\nx = 1\n"), "#                 \nx = 1\n");
        assert_eq!(masked("!pip install torch\nimport torch"), "#                 \nimport torch");
        assert_eq!(masked("!!ls"), "#   ");
        assert_eq!(masked("files = !ls *.pt\n"), "#               \n");
        assert_eq!(masked("out = %sx ls\n"), "#           \n");
        assert_eq!(masked("a, b = !echo 1 2"), "#               ");
        assert_eq!(masked("d[\"k=v\"] = !ls"), "#             ");
        unchanged("x == !y");
        unchanged("x != y");
        unchanged("f(a=!b)");
    }

    #[test]
    fn help_and_autocall_become_comments() {
        assert_eq!(masked("torch.load?\n"), "#          \n");
        assert_eq!(masked("torch.load??"), "#           ");
        assert_eq!(masked("?torch.load"), "#          ");
        assert_eq!(masked("/print 1 2"), "#         ");
        assert_eq!(masked(",f a b"), "#     ");
        assert_eq!(masked(";f a b"), "#     ");
    }

    #[test]
    fn question_marks_in_strings_and_comments_are_python() {
        unchanged("x = 'why?'\n");
        unchanged("x = 1  # why?\n");
        unchanged("s = \"\"\"what?\n!not a shell line\n%nor a magic\n\"\"\"\n");
        unchanged("f(a,\n  !b)\n");
        unchanged("x = 1 + \\\n    !y\n");
        unchanged("s = 'it\\'s?' \\\n  'x'\n");
    }

    #[test]
    fn indented_escapes_keep_the_block_non_empty() {
        assert_eq!(masked("for i in x:\n    !echo {i}\n"), "for i in x:\n    ...#     \n");
        assert_eq!(masked("if x:\n  !l"), "if x:\n  0#");
        assert_eq!(masked("if x:  # why\n\n  !"), "if x:  # why\n\n  0");
        assert_eq!(masked("def f(\n  a):\n  x?\n  !b"), "def f(\n  a):\n  0#\n  # ");
        // Below the block's first line, or outside any block, a comment will do.
        assert_eq!(masked("if x:\n  y = 1\n  !ls\n"), "if x:\n  y = 1\n  #  \n");
        assert_eq!(masked("  %matplotlib inline"), "  #                 ");
    }

    #[test]
    fn backslash_continued_escapes_are_masked_whole() {
        assert_eq!(masked("!pip install \\\n    torch\nx = 1"), "#             \n    #    \nx = 1");
    }

    #[test]
    fn timed_statements_stay_visible() {
        assert_eq!(masked("%time m = torch.load(p)\n"), "0;    m = torch.load(p)\n");
        assert_eq!(masked("%timeit -n 3 -r1 -q f(x)"), "0;                  f(x)");
        assert_eq!(masked("    %time f()"), "    0;    f()");
        // An unknown option or no statement: the whole line is IPython's.
        assert_eq!(masked("%timeit -x f()"), "#             ");
        assert_eq!(masked("%time"), "#    ");
    }

    #[test]
    fn automagics_are_masked_but_names_used_as_python_are_not() {
        assert_eq!(masked("pip install torch==2.3\n"), "#                     \n");
        assert_eq!(masked("cd /data\nls -la"), "#       \n#     ");
        assert_eq!(masked("cd -"), "#   ");
        for python in ["env = make()", "time.sleep(1)", "env - 1", "run if x else y", "cd += 1", "history", "pip"] {
            unchanged(python);
        }
        unchanged("ls == x");
        unchanged("load_model = 3");
    }

    #[test]
    fn cell_magics_decide_the_whole_cell() {
        assert_eq!(read_cell("%%bash\npip install torch\n"), CellSyntax::CellMagic("bash".into()));
        assert_eq!(read_cell("\n  %%writefile train.py\nimport torch\n"), CellSyntax::CellMagic("writefile".into()));
        assert_eq!(masked("%%time\nm = torch.load(p)\n"), "#     \nm = torch.load(p)\n");
        assert_eq!(masked("%%capture out\n!pip install x\ny = 2"), "#            \n#             \ny = 2");
        // Only the first line can open a cell magic; a later `%%` is a line IPython rejects.
        assert_eq!(masked("x = 1\n%%bash\n"), "x = 1\n#     \n");
    }

    #[test]
    fn masks_protect_whole_lines_with_their_ending() {
        let CellSyntax::Python(cell) = read_cell("x = 1\r\n  !ls\r\n%time f()") else { panic!() };
        let protected: Vec<_> = cell.masks.iter().map(|m| (m.protected.clone(), m.line)).collect();
        // The last line has no ending: its mask reaches over the cell's end.
        assert_eq!(protected, [(7..14, 2), (14..20, 3)]);
        assert_eq!(cell.text, "x = 1\r\n  #  \r\n0;    f()");
    }

    #[test]
    fn cells_ending_inside_a_string_or_brackets_are_unterminated() {
        for source in ["s = \"\"\"doc\n", "x = f(\n  1,\n", "x = 1 + \\"] {
            assert_eq!(read_cell(source), CellSyntax::Unterminated, "{source:?}");
        }
        unchanged("s = \"\"\"doc\n\"\"\"\n");
    }

    #[test]
    fn non_ascii_magic_lines_keep_their_byte_length() {
        assert_eq!(masked("!echo café\nx"), "#          \nx");
    }
}
