//! Walks the opcodes of one pickle (protocols 0–5) without running it.
//!
//! The walker keeps an abstract stack: each entry says what kind of object the
//! unpickler would hold there (a dict, a string and its text when short, a
//! global, an instance of a global, a numpy dtype and its code...), never the
//! object. From it the walk records every global the pickle names (`GLOBAL`,
//! `STACK_GLOBAL` with operands read back through the memo, `INST`, extension
//! codes) and how each is used, the types of the objects `BUILD` sets state on,
//! the containers `SETITEM(S)`/`APPEND(S)`/`ADDITEMS` fill, the objects called
//! that are not globals, and the persistent ids. `verdict.rs` judges these
//! facts; this file knows pickle, not torch.
//!
//! Hostile input is expected: every length is checked against the bytes left
//! before anything is sliced, nothing is allocated from a length in the file,
//! the stack, the marks and the memo are capped, and nested tuples are kept
//! only a few levels deep, so no recursion (not even in `drop`) follows the
//! file's nesting.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// Opcodes, as `pickletools` names them.
mod op {
    pub(crate) const MARK: u8 = b'(';
    pub(crate) const STOP: u8 = b'.';
    pub(crate) const POP: u8 = b'0';
    pub(crate) const POP_MARK: u8 = b'1';
    pub(crate) const DUP: u8 = b'2';
    pub(crate) const FLOAT: u8 = b'F';
    pub(crate) const INT: u8 = b'I';
    pub(crate) const BININT: u8 = b'J';
    pub(crate) const BININT1: u8 = b'K';
    pub(crate) const LONG: u8 = b'L';
    pub(crate) const BININT2: u8 = b'M';
    pub(crate) const NONE: u8 = b'N';
    pub(crate) const PERSID: u8 = b'P';
    pub(crate) const BINPERSID: u8 = b'Q';
    pub(crate) const REDUCE: u8 = b'R';
    pub(crate) const STRING: u8 = b'S';
    pub(crate) const BINSTRING: u8 = b'T';
    pub(crate) const SHORT_BINSTRING: u8 = b'U';
    pub(crate) const UNICODE: u8 = b'V';
    pub(crate) const BINUNICODE: u8 = b'X';
    pub(crate) const APPEND: u8 = b'a';
    pub(crate) const BUILD: u8 = b'b';
    pub(crate) const GLOBAL: u8 = b'c';
    pub(crate) const DICT: u8 = b'd';
    pub(crate) const EMPTY_DICT: u8 = b'}';
    pub(crate) const APPENDS: u8 = b'e';
    pub(crate) const GET: u8 = b'g';
    pub(crate) const BINGET: u8 = b'h';
    pub(crate) const INST: u8 = b'i';
    pub(crate) const LONG_BINGET: u8 = b'j';
    pub(crate) const LIST: u8 = b'l';
    pub(crate) const EMPTY_LIST: u8 = b']';
    pub(crate) const OBJ: u8 = b'o';
    pub(crate) const PUT: u8 = b'p';
    pub(crate) const BINPUT: u8 = b'q';
    pub(crate) const LONG_BINPUT: u8 = b'r';
    pub(crate) const SETITEM: u8 = b's';
    pub(crate) const TUPLE: u8 = b't';
    pub(crate) const EMPTY_TUPLE: u8 = b')';
    pub(crate) const SETITEMS: u8 = b'u';
    pub(crate) const BINFLOAT: u8 = b'G';
    pub(crate) const PROTO: u8 = 0x80;
    pub(crate) const NEWOBJ: u8 = 0x81;
    pub(crate) const EXT1: u8 = 0x82;
    pub(crate) const EXT2: u8 = 0x83;
    pub(crate) const EXT4: u8 = 0x84;
    pub(crate) const TUPLE1: u8 = 0x85;
    pub(crate) const TUPLE2: u8 = 0x86;
    pub(crate) const TUPLE3: u8 = 0x87;
    pub(crate) const NEWTRUE: u8 = 0x88;
    pub(crate) const NEWFALSE: u8 = 0x89;
    pub(crate) const LONG1: u8 = 0x8a;
    pub(crate) const LONG4: u8 = 0x8b;
    pub(crate) const BINBYTES: u8 = b'B';
    pub(crate) const SHORT_BINBYTES: u8 = b'C';
    pub(crate) const SHORT_BINUNICODE: u8 = 0x8c;
    pub(crate) const BINUNICODE8: u8 = 0x8d;
    pub(crate) const BINBYTES8: u8 = 0x8e;
    pub(crate) const EMPTY_SET: u8 = 0x8f;
    pub(crate) const ADDITEMS: u8 = 0x90;
    pub(crate) const FROZENSET: u8 = 0x91;
    pub(crate) const NEWOBJ_EX: u8 = 0x92;
    pub(crate) const STACK_GLOBAL: u8 = 0x93;
    pub(crate) const MEMOIZE: u8 = 0x94;
    pub(crate) const FRAME: u8 = 0x95;
    pub(crate) const BYTEARRAY8: u8 = 0x96;
    pub(crate) const NEXT_BUFFER: u8 = 0x97;
    pub(crate) const READONLY_BUFFER: u8 = 0x98;
}

pub(crate) use op::*;

/// The name `pickletools` gives an opcode byte, or `None` for a byte that is no opcode.
pub(crate) fn opcode_name(byte: u8) -> Option<&'static str> {
    Some(match byte {
        MARK => "MARK",
        STOP => "STOP",
        POP => "POP",
        POP_MARK => "POP_MARK",
        DUP => "DUP",
        FLOAT => "FLOAT",
        INT => "INT",
        BININT => "BININT",
        BININT1 => "BININT1",
        LONG => "LONG",
        BININT2 => "BININT2",
        NONE => "NONE",
        PERSID => "PERSID",
        BINPERSID => "BINPERSID",
        REDUCE => "REDUCE",
        STRING => "STRING",
        BINSTRING => "BINSTRING",
        SHORT_BINSTRING => "SHORT_BINSTRING",
        UNICODE => "UNICODE",
        BINUNICODE => "BINUNICODE",
        APPEND => "APPEND",
        BUILD => "BUILD",
        GLOBAL => "GLOBAL",
        DICT => "DICT",
        EMPTY_DICT => "EMPTY_DICT",
        APPENDS => "APPENDS",
        GET => "GET",
        BINGET => "BINGET",
        INST => "INST",
        LONG_BINGET => "LONG_BINGET",
        LIST => "LIST",
        EMPTY_LIST => "EMPTY_LIST",
        OBJ => "OBJ",
        PUT => "PUT",
        BINPUT => "BINPUT",
        LONG_BINPUT => "LONG_BINPUT",
        SETITEM => "SETITEM",
        TUPLE => "TUPLE",
        EMPTY_TUPLE => "EMPTY_TUPLE",
        SETITEMS => "SETITEMS",
        BINFLOAT => "BINFLOAT",
        PROTO => "PROTO",
        NEWOBJ => "NEWOBJ",
        EXT1 => "EXT1",
        EXT2 => "EXT2",
        EXT4 => "EXT4",
        TUPLE1 => "TUPLE1",
        TUPLE2 => "TUPLE2",
        TUPLE3 => "TUPLE3",
        NEWTRUE => "NEWTRUE",
        NEWFALSE => "NEWFALSE",
        LONG1 => "LONG1",
        LONG4 => "LONG4",
        BINBYTES => "BINBYTES",
        SHORT_BINBYTES => "SHORT_BINBYTES",
        SHORT_BINUNICODE => "SHORT_BINUNICODE",
        BINUNICODE8 => "BINUNICODE8",
        BINBYTES8 => "BINBYTES8",
        EMPTY_SET => "EMPTY_SET",
        ADDITEMS => "ADDITEMS",
        FROZENSET => "FROZENSET",
        NEWOBJ_EX => "NEWOBJ_EX",
        STACK_GLOBAL => "STACK_GLOBAL",
        MEMOIZE => "MEMOIZE",
        FRAME => "FRAME",
        BYTEARRAY8 => "BYTEARRAY8",
        NEXT_BUFFER => "NEXT_BUFFER",
        READONLY_BUFFER => "READONLY_BUFFER",
        _ => return None,
    })
}

/// The most values the stack may hold, marks included, and the most memo entries.
/// Real checkpoints stay far below (picklers batch items by the thousand); a
/// pickle above is refused rather than allowed to take the memory.
const MAX_STACK: usize = 1 << 22;
const MAX_MEMO: usize = 1 << 23;
/// Strings longer than this are remembered as "a string", without their text:
/// module and attribute names, dtype codes and persistent-id tags are short.
const MAX_KEPT_TEXT: usize = 256;
/// How many levels of nested tuples keep their elements.
const MAX_TUPLE_DEPTH: u8 = 6;

/// How a pickle names a global object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reference {
    /// `module` and `name` exactly as written (before any Python 2 renaming).
    Named { module: String, name: String },
    /// An `EXT1/2/4` code: resolved through `copyreg`'s extension registry, empty by default.
    Extension(u32),
    /// A `STACK_GLOBAL` whose operands are not literal strings: the name is computed while loading.
    Unresolved,
}

/// A global the pickle names, and what it does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GlobalUse {
    pub(crate) reference: Reference,
    /// The opcode that first named it (`GLOBAL`, `STACK_GLOBAL`, `INST`, `EXT1`...).
    pub(crate) opcode: &'static str,
    /// Called: `REDUCE`, `INST` or `OBJ`.
    pub(crate) called: bool,
    /// Instantiated without a call: the class of `NEWOBJ` or `NEWOBJ_EX`.
    pub(crate) instantiated: bool,
    /// The type of an object that `BUILD` sets state on.
    pub(crate) built: bool,
}

/// What the walker knows about an object the unpickler would hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    None,
    Bool,
    Int,
    Float,
    Complex,
    Str,
    Bytes,
    ByteArray,
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    /// The global object itself (an index into [`Walk::globals`]).
    Global(usize),
    /// An instance of the global class at that index.
    Instance(usize),
    /// A numpy dtype built by calling `numpy.dtype(code)`; its class (`UInt32DType`...) is no global of the pickle.
    Dtype(String),
    /// What torch's tensor rebuild functions return.
    Tensor,
    Parameter,
    /// An object returned by the loader's `persistent_load`.
    Persistent,
    /// What calling the global at that index returns: only known at load time.
    Result(usize),
    /// Anything else: an out-of-band buffer, what a non-global returns...
    Unknown,
}

/// The container-filling opcodes, grouped by what they require of their target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Fill {
    /// `SETITEM`, `SETITEMS`.
    Items,
    /// `APPEND`, `APPENDS`.
    Append,
    /// `ADDITEMS`.
    Add,
}

/// What a `BINPERSID` or `PERSID` id looks like.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PersistentId {
    /// A tuple whose first element is the string `storage`: torch's tensor storages.
    Storage,
    /// A tuple with another first string (the legacy format's `module`).
    Tagged(String),
    /// Anything else, described.
    Other(&'static str),
}

/// Why a walk stopped before `STOP`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WalkError {
    /// Offset of the opcode being read.
    pub(crate) offset: usize,
    pub(crate) kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The data ends inside an opcode, or before `STOP`.
    Truncated,
    /// A byte that is no opcode.
    UnknownOpcode(u8),
    /// Well-formed bytes no unpickler accepts (a pop from an empty stack, an undefined memo key...).
    Malformed(&'static str),
    /// Beyond what the walker holds (see [`MAX_STACK`]).
    Limit(&'static str),
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Truncated => write!(f, "pickle truncated at byte {}", self.offset),
            ErrorKind::UnknownOpcode(b) => write!(f, "byte 0x{b:02x} at {} is no pickle opcode", self.offset),
            ErrorKind::Malformed(what) => write!(f, "malformed pickle at byte {}: {what}", self.offset),
            ErrorKind::Limit(what) => write!(f, "pickle too large to audit at byte {}: {what}", self.offset),
        }
    }
}

/// Everything one walk learned.
#[derive(Clone, Debug, Default)]
pub(crate) struct Walk {
    /// The protocol of the first `PROTO` opcode; none before protocol 2.
    pub(crate) protocol: Option<u8>,
    /// Every global named, deduplicated, in order of first appearance.
    pub(crate) globals: Vec<GlobalUse>,
    /// Which opcode bytes appear.
    pub(crate) opcodes: OpcodeSet,
    /// The kinds of objects `BUILD` sets state on, deduplicated.
    pub(crate) builds: Vec<Kind>,
    /// The kinds of containers filled, deduplicated.
    pub(crate) fills: Vec<(Fill, Kind)>,
    /// The kinds of non-global objects called (`REDUCE`) or instantiated (`NEWOBJ`), deduplicated.
    pub(crate) called_values: Vec<Kind>,
    /// The persistent ids, deduplicated.
    pub(crate) persistent_ids: Vec<PersistentId>,
    /// The value `STOP` returns, when it is an integer that fits (torch's legacy magic number).
    pub(crate) result_int: Option<i128>,
    /// Offset just after `STOP`, or where the walk stopped.
    pub(crate) end: usize,
    pub(crate) error: Option<WalkError>,
}

/// A set of opcode bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct OpcodeSet([u64; 4]);

impl OpcodeSet {
    pub(crate) fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte >> 6)] |= 1 << (byte & 63);
    }

    pub(crate) fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte >> 6)] & (1 << (byte & 63)) != 0
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|b| self.contains(*b))
    }
}

/// An abstract stack value: its kind, plus the detail the walk needs later.
#[derive(Clone, Debug)]
enum Value {
    Kind(Kind),
    /// A string short enough to keep.
    Text(Rc<str>),
    Int(i128),
    Tuple(Rc<TupleHead>),
}

/// A tuple's length and first two elements (enough for `REDUCE` arguments and persistent ids).
#[derive(Debug)]
struct TupleHead {
    first: Option<Value>,
    second: Option<Value>,
    depth: u8,
}

impl Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Kind(k) => k.clone(),
            Value::Text(_) => Kind::Str,
            Value::Int(_) => Kind::Int,
            Value::Tuple(_) => Kind::Tuple,
        }
    }

    fn depth(&self) -> u8 {
        match self {
            Value::Tuple(t) => t.depth,
            _ => 0,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    fn tuple_item(&self, index: usize) -> Option<&Value> {
        match self {
            Value::Tuple(t) if index == 0 => t.first.as_ref(),
            Value::Tuple(t) if index == 1 => t.second.as_ref(),
            _ => None,
        }
    }

    /// A tuple of these items; deep nesting is cut to a bare `Kind::Tuple`.
    fn tuple(mut items: impl Iterator<Item = Value>) -> Value {
        let keep =
            |v: Option<Value>| v.map(|v| if v.depth() >= MAX_TUPLE_DEPTH { Value::Kind(Kind::Tuple) } else { v });
        let first = keep(items.next());
        let second = keep(items.next());
        let depth = 1 + first.as_ref().map_or(0, Value::depth).max(second.as_ref().map_or(0, Value::depth));
        Value::Tuple(Rc::new(TupleHead { first, second, depth }))
    }

    fn text_from(bytes: &[u8]) -> Value {
        match std::str::from_utf8(bytes) {
            Ok(s) if s.len() <= MAX_KEPT_TEXT => Value::Text(Rc::from(s)),
            _ => Value::Kind(Kind::Str),
        }
    }
}

/// The memo. Picklers number entries in sequence, so those keys index a
/// vector; any other key goes to a map. Memory grows one entry per opcode at most.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<Value>>,
    sparse: HashMap<u64, Value>,
    len: usize,
}

impl Memo {
    fn get(&self, key: u64) -> Option<&Value> {
        let dense = usize::try_from(key).ok().and_then(|k| self.dense.get(k)).and_then(Option::as_ref);
        dense.or_else(|| self.sparse.get(&key))
    }

    fn insert(&mut self, key: u64, value: Value) {
        let index = usize::try_from(key).ok().filter(|k| *k <= self.dense.len());
        let new = match index {
            Some(k) if k == self.dense.len() => {
                self.dense.push(Some(value));
                self.sparse.remove(&key).is_none()
            }
            Some(k) => self.dense[k].replace(value).is_none() && !self.sparse.contains_key(&key),
            None => self.sparse.insert(key, value).is_none(),
        };
        self.len += usize::from(new);
    }
}

/// Walks the pickle that starts at `data[0]` up to its `STOP`.
pub(crate) fn walk(data: &[u8]) -> Walk {
    let mut walker = Walker::new(data);
    if let Err(error) = walker.run() {
        walker.walk.error = Some(error);
    }
    walker.walk.end = walker.pos;
    walker.walk
}

struct Walker<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed, for errors.
    at: usize,
    stack: Vec<Value>,
    /// Stack lengths at each `MARK`.
    marks: Vec<usize>,
    memo: Memo,
    global_index: HashMap<Reference, usize>,
    walk: Walk,
}

type Step<T> = Result<T, WalkError>;

impl<'a> Walker<'a> {
    fn new(data: &'a [u8]) -> Self {
        Walker {
            data,
            pos: 0,
            at: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            global_index: HashMap::new(),
            walk: Walk::default(),
        }
    }

    fn error(&self, kind: ErrorKind) -> WalkError {
        WalkError { offset: self.at, kind }
    }

    fn malformed(&self, what: &'static str) -> WalkError {
        self.error(ErrorKind::Malformed(what))
    }

    // ---- reading arguments -------------------------------------------------

    fn take(&mut self, n: usize) -> Step<&'a [u8]> {
        let data = self.data;
        let end = self.pos.checked_add(n).filter(|end| *end <= data.len());
        let end = end.ok_or_else(|| self.error(ErrorKind::Truncated))?;
        let bytes = &data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Step<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Step<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Step<u16> {
        Ok(u16::from_le_bytes(self.take_array()?))
    }

    fn u32(&mut self) -> Step<u32> {
        Ok(u32::from_le_bytes(self.take_array()?))
    }

    fn u64(&mut self) -> Step<u64> {
        Ok(u64::from_le_bytes(self.take_array()?))
    }

    /// A length from the file, as a `usize` to slice with (`take` checks it against the data).
    fn length(&self, n: u64) -> Step<usize> {
        usize::try_from(n).map_err(|_| self.error(ErrorKind::Truncated))
    }

    /// The bytes up to the next `\n`, without it.
    fn line(&mut self) -> Step<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let n = memchr::memchr(b'\n', rest).ok_or_else(|| self.error(ErrorKind::Truncated))?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    fn text_line(&mut self) -> Step<&'a str> {
        let line = self.line()?;
        std::str::from_utf8(line).map_err(|_| self.malformed("a name that is not UTF-8"))
    }

    // ---- the stack ---------------------------------------------------------

    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn push(&mut self, value: Value) -> Step<()> {
        if self.stack.len() >= MAX_STACK {
            return Err(self.error(ErrorKind::Limit("stack deeper than 4M values")));
        }
        self.stack.push(value);
        Ok(())
    }

    fn push_kind(&mut self, kind: Kind) -> Step<()> {
        self.push(Value::Kind(kind))
    }

    /// Pops a value pushed since the last `MARK`, as the unpickler does.
    fn pop(&mut self) -> Step<Value> {
        if self.stack.len() <= self.floor() {
            return Err(self.malformed("pop from an empty stack"));
        }
        self.stack.pop().ok_or_else(|| self.malformed("pop from an empty stack"))
    }

    fn top(&self) -> Step<&Value> {
        if self.stack.len() <= self.floor() {
            return Err(self.malformed("an opcode needs a value on an empty stack"));
        }
        self.stack.last().ok_or_else(|| self.malformed("an opcode needs a value on an empty stack"))
    }

    fn replace_top(&mut self, value: Value) -> Step<()> {
        self.top()?;
        if let Some(top) = self.stack.last_mut() {
            *top = value;
        }
        Ok(())
    }

    fn mark(&mut self) -> Step<()> {
        if self.marks.len() >= MAX_STACK {
            return Err(self.error(ErrorKind::Limit("more than 4M open marks")));
        }
        self.marks.push(self.stack.len());
        Ok(())
    }

    /// The values pushed since the last `MARK`, which is removed.
    fn pop_mark(&mut self) -> Step<std::vec::Drain<'_, Value>> {
        let mark = self.marks.pop().ok_or_else(|| self.malformed("no MARK to pop to"))?;
        Ok(self.stack.drain(mark..))
    }

    fn memo_put(&mut self, key: u64) -> Step<()> {
        let value = self.top()?.clone();
        if self.memo.len >= MAX_MEMO {
            return Err(self.error(ErrorKind::Limit("more than 8M memo entries")));
        }
        self.memo.insert(key, value);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Step<()> {
        let value = self.memo.get(key).cloned().ok_or_else(|| self.malformed("memo key read before it is written"))?;
        self.push(value)
    }

    // ---- facts -------------------------------------------------------------

    fn global(&mut self, reference: Reference, opcode: &'static str) -> usize {
        if let Some(&i) = self.global_index.get(&reference) {
            return i;
        }
        let i = self.walk.globals.len();
        self.global_index.insert(reference.clone(), i);
        self.walk.globals.push(GlobalUse { reference, opcode, called: false, instantiated: false, built: false });
        i
    }

    fn name_of(&self, index: usize) -> Option<(&str, &str)> {
        match &self.walk.globals.get(index)?.reference {
            Reference::Named { module, name } => Some((module, name)),
            _ => None,
        }
    }

    fn note_fill(&mut self, fill: Fill, target: Kind) {
        push_unique(&mut self.walk.fills, (fill, target));
    }

    /// What calling `callee` with `args` gives, and the facts the call adds.
    fn call(&mut self, callee: &Value, args: Option<&Value>) -> Value {
        match callee.kind() {
            Kind::Global(i) => {
                self.walk.globals[i].called = true;
                Value::Kind(self.call_result(i, args))
            }
            other => {
                push_unique(&mut self.walk.called_values, other);
                Value::Kind(Kind::Unknown)
            }
        }
    }

    fn instantiate(&mut self, class: &Value) -> Value {
        match class.kind() {
            Kind::Global(i) => {
                self.walk.globals[i].instantiated = true;
                Value::Kind(Kind::Instance(i))
            }
            other => {
                push_unique(&mut self.walk.called_values, other);
                Value::Kind(Kind::Unknown)
            }
        }
    }

    /// The kind of object a call of global `index` returns, from what the
    /// Python ecosystem's picklers put in checkpoints.
    fn call_result(&self, index: usize, args: Option<&Value>) -> Kind {
        let Some((module, name)) = self.name_of(index) else { return Kind::Result(index) };
        let arg = |i: usize| args.and_then(|a| a.tuple_item(i));
        let global_arg = |i: usize| match arg(i).map(Value::kind) {
            Some(Kind::Global(g)) => Kind::Instance(g),
            _ => Kind::Result(index),
        };
        let numpy_core = matches!(module, "numpy.core.multiarray" | "numpy._core.multiarray");
        match (module, name) {
            ("_codecs", "encode") => Kind::Bytes,
            ("builtins" | "__builtin__", builtin) => builtin_result(builtin).unwrap_or(Kind::Result(index)),
            ("numpy", "dtype") => match arg(0).and_then(Value::text) {
                Some(code) => Kind::Dtype(code.to_owned()),
                None => Kind::Result(index),
            },
            (_, "_reconstruct") if numpy_core => global_arg(0),
            ("copyreg" | "copy_reg", "_reconstructor" | "__newobj__" | "__newobj_ex__") => global_arg(0),
            ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => Kind::Parameter,
            ("torch._utils", "_rebuild_wrapper_subclass") => global_arg(0),
            ("torch._utils", f) if f.starts_with("_rebuild_") => Kind::Tensor,
            ("torch._tensor", "_rebuild_from_type_v2") => global_arg(1),
            ("collections", "defaultdict" | "deque") | ("functools", "partial") => Kind::Instance(index),
            ("datetime", "datetime" | "date" | "time" | "timedelta" | "timezone") => Kind::Instance(index),
            _ if looks_like_class(name) => Kind::Instance(index),
            _ => Kind::Result(index),
        }
    }

    fn persistent_id(&mut self, pid: &Value) {
        let id = match pid {
            Value::Tuple(_) => match pid.tuple_item(0).and_then(Value::text) {
                Some("storage") => PersistentId::Storage,
                Some(tag) => PersistentId::Tagged(tag.to_owned()),
                None => PersistentId::Other("a tuple without a string tag"),
            },
            Value::Int(_) => PersistentId::Other("an integer"),
            Value::Text(_) | Value::Kind(Kind::Str) => PersistentId::Other("a string"),
            Value::Kind(_) => PersistentId::Other("an object"),
        };
        push_unique(&mut self.walk.persistent_ids, id);
    }

    // ---- the loop ----------------------------------------------------------

    fn run(&mut self) -> Step<()> {
        loop {
            self.at = self.pos;
            let code = self.u8()?;
            self.walk.opcodes.insert(code);
            if code == STOP {
                let result = self.pop()?;
                if let Value::Int(n) = result {
                    self.walk.result_int = Some(n);
                }
                return Ok(());
            }
            self.step(code)?;
        }
    }

    fn step(&mut self, code: u8) -> Step<()> {
        match code {
            PROTO => {
                let version = self.u8()?;
                if version > 5 {
                    return Err(self.malformed("pickle protocol above 5"));
                }
                self.walk.protocol.get_or_insert(version);
            }
            FRAME => {
                // A frame only announces how many bytes follow; opcodes run on inside it.
                self.u64()?;
            }
            MARK => self.mark()?,
            POP => {
                if self.stack.len() > self.floor() {
                    self.pop()?;
                } else {
                    self.pop_mark()?;
                }
            }
            POP_MARK => {
                self.pop_mark()?;
            }
            DUP => {
                let top = self.top()?.clone();
                self.push(top)?;
            }
            _ => return self.step_value(code),
        }
        Ok(())
    }

    /// Opcodes that push scalars and strings.
    fn step_value(&mut self, code: u8) -> Step<()> {
        let value = match code {
            NONE => Value::Kind(Kind::None),
            NEWTRUE | NEWFALSE => Value::Kind(Kind::Bool),
            BININT => Value::Int(i32::from_le_bytes(self.take_array()?).into()),
            BININT1 => Value::Int(self.u8()?.into()),
            BININT2 => Value::Int(self.u16()?.into()),
            LONG1 => {
                let n = self.u8()?;
                long_value(self.take(n.into())?)
            }
            LONG4 => {
                let n = i32::from_le_bytes(self.take_array()?);
                let n = usize::try_from(n).map_err(|_| self.malformed("negative LONG4 length"))?;
                long_value(self.take(n)?)
            }
            INT => int_line(self.line()?),
            LONG => {
                let line = self.line()?;
                int_line(line.strip_suffix(b"L").unwrap_or(line))
            }
            FLOAT => {
                self.line()?;
                Value::Kind(Kind::Float)
            }
            BINFLOAT => {
                self.take(8)?;
                Value::Kind(Kind::Float)
            }
            SHORT_BINUNICODE | SHORT_BINSTRING => {
                let n = self.u8()?;
                Value::text_from(self.take(n.into())?)
            }
            BINUNICODE => {
                let n = self.u32()?;
                Value::text_from(self.take(self.length(n.into())?)?)
            }
            BINSTRING => {
                let n = i32::from_le_bytes(self.take_array()?);
                let n = usize::try_from(n).map_err(|_| self.malformed("negative BINSTRING length"))?;
                Value::text_from(self.take(n)?)
            }
            BINUNICODE8 => {
                let n = self.u64()?;
                Value::text_from(self.take(self.length(n)?)?)
            }
            STRING => quoted_line(self.line()?),
            UNICODE => {
                let line = self.line()?;
                // raw-unicode-escape: text with a backslash is not kept.
                if line.contains(&b'\\') {
                    Value::Kind(Kind::Str)
                } else {
                    Value::text_from(line)
                }
            }
            SHORT_BINBYTES => {
                let n = self.u8()?;
                self.take(n.into())?;
                Value::Kind(Kind::Bytes)
            }
            BINBYTES => {
                let n = self.u32()?;
                self.take(self.length(n.into())?)?;
                Value::Kind(Kind::Bytes)
            }
            BINBYTES8 | BYTEARRAY8 => {
                let n = self.u64()?;
                self.take(self.length(n)?)?;
                Value::Kind(if code == BINBYTES8 { Kind::Bytes } else { Kind::ByteArray })
            }
            NEXT_BUFFER => Value::Kind(Kind::Unknown),
            READONLY_BUFFER => {
                self.top()?;
                return Ok(());
            }
            _ => return self.step_container(code),
        };
        self.push(value)
    }

    /// Opcodes that build and fill containers.
    fn step_container(&mut self, code: u8) -> Step<()> {
        match code {
            EMPTY_TUPLE => self.push(Value::tuple(std::iter::empty()))?,
            EMPTY_LIST => self.push_kind(Kind::List)?,
            EMPTY_DICT => self.push_kind(Kind::Dict)?,
            EMPTY_SET => self.push_kind(Kind::Set)?,
            TUPLE => {
                let tuple = Value::tuple(self.pop_mark()?);
                self.push(tuple)?;
            }
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = usize::from(code - TUPLE1 + 1);
                if self.stack.len() < self.floor() + n {
                    return Err(self.malformed("TUPLE1/2/3 with too few values"));
                }
                let start = self.stack.len() - n;
                let tuple = Value::tuple(self.stack.drain(start..));
                self.push(tuple)?;
            }
            LIST | DICT | FROZENSET => {
                self.pop_mark()?;
                let kind = match code {
                    LIST => Kind::List,
                    DICT => Kind::Dict,
                    _ => Kind::FrozenSet,
                };
                self.push_kind(kind)?;
            }
            APPEND | SETITEM => {
                self.pop()?;
                if code == SETITEM {
                    self.pop()?;
                }
                let target = self.top()?.kind();
                self.note_fill(if code == APPEND { Fill::Append } else { Fill::Items }, target);
            }
            APPENDS | SETITEMS | ADDITEMS => {
                self.pop_mark()?;
                let target = self.top()?.kind();
                let fill = match code {
                    APPENDS => Fill::Append,
                    SETITEMS => Fill::Items,
                    _ => Fill::Add,
                };
                self.note_fill(fill, target);
            }
            _ => return self.step_memo(code),
        }
        Ok(())
    }

    fn step_memo(&mut self, code: u8) -> Step<()> {
        match code {
            BINPUT => {
                let key = self.u8()?;
                self.memo_put(key.into())?;
            }
            LONG_BINPUT => {
                let key = self.u32()?;
                self.memo_put(key.into())?;
            }
            PUT => {
                let key = decimal(self.line()?).ok_or_else(|| self.malformed("PUT key is not a number"))?;
                self.memo_put(key)?;
            }
            MEMOIZE => {
                let key = self.memo.len as u64;
                self.memo_put(key)?;
            }
            BINGET => {
                let key = self.u8()?;
                self.memo_get(key.into())?;
            }
            LONG_BINGET => {
                let key = self.u32()?;
                self.memo_get(key.into())?;
            }
            GET => {
                let key = decimal(self.line()?).ok_or_else(|| self.malformed("GET key is not a number"))?;
                self.memo_get(key)?;
            }
            _ => return self.step_object(code),
        }
        Ok(())
    }

    /// Opcodes that name globals, call them and set state: the ones that run code.
    fn step_object(&mut self, code: u8) -> Step<()> {
        match code {
            GLOBAL => {
                let module = self.text_line()?.to_owned();
                let name = self.text_line()?.to_owned();
                let i = self.global(Reference::Named { module, name }, "GLOBAL");
                self.push_kind(Kind::Global(i))?;
            }
            STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let reference = match (module.text(), name.text()) {
                    (Some(module), Some(name)) => Reference::Named { module: module.into(), name: name.into() },
                    _ => Reference::Unresolved,
                };
                let i = self.global(reference, "STACK_GLOBAL");
                self.push_kind(Kind::Global(i))?;
            }
            EXT1 | EXT2 | EXT4 => {
                let ext = match code {
                    EXT1 => u32::from(self.u8()?),
                    EXT2 => u32::from(self.u16()?),
                    _ => self.u32()?,
                };
                let i = self.global(Reference::Extension(ext), opcode_name(code).unwrap_or("EXT"));
                self.push_kind(Kind::Global(i))?;
            }
            REDUCE => {
                let args = self.pop()?;
                let callee = self.top()?.clone();
                let result = self.call(&callee, Some(&args));
                self.replace_top(result)?;
            }
            NEWOBJ => {
                self.pop()?;
                let class = self.pop()?;
                let result = self.instantiate(&class);
                self.push(result)?;
            }
            NEWOBJ_EX => {
                self.pop()?;
                self.pop()?;
                let class = self.pop()?;
                let result = self.instantiate(&class);
                self.push(result)?;
            }
            INST => {
                let module = self.text_line()?.to_owned();
                let name = self.text_line()?.to_owned();
                self.pop_mark()?;
                let i = self.global(Reference::Named { module, name }, "INST");
                let result = self.call(&Value::Kind(Kind::Global(i)), None);
                self.push(result)?;
            }
            OBJ => {
                let class = self.pop_mark()?.next();
                let class = class.ok_or_else(|| self.malformed("OBJ without a class"))?;
                let result = self.call(&class, None);
                self.push(result)?;
            }
            BUILD => {
                self.pop()?;
                let target = self.top()?.kind();
                if let Kind::Instance(i) = target {
                    self.walk.globals[i].built = true;
                }
                push_unique(&mut self.walk.builds, target);
            }
            BINPERSID => {
                let pid = self.pop()?;
                self.persistent_id(&pid);
                self.push_kind(Kind::Persistent)?;
            }
            PERSID => {
                self.line()?;
                push_unique(&mut self.walk.persistent_ids, PersistentId::Other("a text line (PERSID)"));
                self.push_kind(Kind::Persistent)?;
            }
            _ => return Err(self.error(ErrorKind::UnknownOpcode(code))),
        }
        Ok(())
    }
}

fn push_unique<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

/// What a call of a builtin returns, for the builtins that are types.
fn builtin_result(name: &str) -> Option<Kind> {
    Some(match name {
        "set" => Kind::Set,
        "frozenset" => Kind::FrozenSet,
        "bytearray" => Kind::ByteArray,
        "bytes" => Kind::Bytes,
        "complex" => Kind::Complex,
        "list" => Kind::List,
        "dict" => Kind::Dict,
        "tuple" => Kind::Tuple,
        "int" => Kind::Int,
        "float" => Kind::Float,
        "str" | "unicode" => Kind::Str,
        "bool" => Kind::Bool,
        _ => return None,
    })
}

/// PEP 8 names classes in CapWords: calling one most likely builds an instance of it.
fn looks_like_class(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_start_matches('_').starts_with(|c: char| c.is_ascii_uppercase())
}

/// A little-endian two's-complement integer (`LONG1`, `LONG4`).
fn long_value(bytes: &[u8]) -> Value {
    if bytes.len() > 16 {
        return Value::Kind(Kind::Int);
    }
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = [if negative { 0xff } else { 0 }; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    Value::Int(i128::from_le_bytes(buf))
}

/// `INT`/`LONG` text: decimal, where protocol 0 writes booleans as `00` and `01`.
fn int_line(line: &[u8]) -> Value {
    match line {
        b"00" | b"01" => Value::Kind(Kind::Bool),
        _ => std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.trim().parse::<i128>().ok())
            .map_or(Value::Kind(Kind::Int), Value::Int),
    }
}

fn decimal(line: &[u8]) -> Option<u64> {
    std::str::from_utf8(line).ok()?.trim().parse().ok()
}

/// `STRING`: a quoted Python literal. Text with escapes is not kept.
fn quoted_line(line: &[u8]) -> Value {
    let inner = match line {
        [b'\'', inner @ .., b'\''] | [b'"', inner @ .., b'"'] => inner,
        _ => return Value::Kind(Kind::Str),
    };
    if inner.contains(&b'\\') {
        Value::Kind(Kind::Str)
    } else {
        Value::text_from(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(module: &str, name: &str) -> Reference {
        Reference::Named { module: module.into(), name: name.into() }
    }

    fn unicode(s: &str) -> Vec<u8> {
        let mut out = vec![SHORT_BINUNICODE, s.len() as u8];
        out.extend_from_slice(s.as_bytes());
        out
    }

    #[test]
    fn global_reduce_is_called() {
        // protocol 2: posix.system("id")
        let mut p = vec![PROTO, 2, GLOBAL];
        p.extend_from_slice(b"posix\nsystem\n");
        p.extend(unicode("id"));
        p.extend([TUPLE1, REDUCE, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        assert_eq!(w.protocol, Some(2));
        assert_eq!(w.globals.len(), 1);
        assert_eq!(w.globals[0].reference, named("posix", "system"));
        assert!(w.globals[0].called);
        assert_eq!(w.end, p.len());
    }

    #[test]
    fn stack_global_reads_its_operands_through_the_memo() {
        // protocol 4: the module string is memoized, then fetched back for a second STACK_GLOBAL.
        let mut p = vec![PROTO, 4, FRAME, 0, 0, 0, 0, 0, 0, 0, 0];
        p.extend(unicode("builtins"));
        p.push(MEMOIZE);
        p.extend(unicode("set"));
        p.extend([MEMOIZE, STACK_GLOBAL, EMPTY_LIST, TUPLE1, REDUCE, POP]);
        p.extend([BINGET, 0]);
        p.extend(unicode("eval"));
        p.extend([STACK_GLOBAL, LONG_BINPUT, 9, 0, 0, 0, POP, LONG_BINGET, 9, 0, 0, 0]);
        p.extend(unicode("1+1"));
        p.extend([TUPLE1, REDUCE, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        let names: Vec<_> = w.globals.iter().map(|g| g.reference.clone()).collect();
        assert_eq!(names, [named("builtins", "set"), named("builtins", "eval")]);
        assert!(w.globals.iter().all(|g| g.called));
        assert!(w.opcodes.contains(FRAME) && w.opcodes.contains(MEMOIZE));
    }

    #[test]
    fn stack_global_of_computed_strings_is_unresolved() {
        let mut p = vec![PROTO, 4];
        p.extend(unicode("os"));
        p.extend([EMPTY_TUPLE, STACK_GLOBAL, STOP]);
        let w = walk(&p);
        assert_eq!(w.globals[0].reference, Reference::Unresolved);
        assert!(!w.globals[0].called);
    }

    #[test]
    fn protocol_0_inst_put_get() {
        let p = b"(S'echo hi'\np0\nios\nsystem\np1\n0g1\n.";
        let w = walk(p);
        assert_eq!(w.error, None);
        assert_eq!(w.globals[0].reference, named("os", "system"));
        assert_eq!(w.globals[0].opcode, "INST");
        assert!(w.globals[0].called);
        assert_eq!(w.protocol, None);
    }

    #[test]
    fn obj_and_newobj_ex() {
        let mut p = vec![PROTO, 4, MARK];
        p.extend(unicode("argparse"));
        p.extend(unicode("Namespace"));
        p.extend([STACK_GLOBAL, OBJ, POP]);
        p.extend(unicode("m"));
        p.extend(unicode("C"));
        p.extend([STACK_GLOBAL, EMPTY_TUPLE, EMPTY_DICT, NEWOBJ_EX, EMPTY_DICT, BUILD, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        assert!(w.globals[0].called);
        assert!(w.globals[1].instantiated && w.globals[1].built);
        assert_eq!(w.builds, [Kind::Instance(1)]);
    }

    #[test]
    fn numpy_dtype_build_target_is_recorded() {
        let mut p = vec![PROTO, 2, GLOBAL];
        p.extend_from_slice(b"numpy\ndtype\n");
        p.extend(unicode("u4"));
        p.extend([NEWFALSE, NEWTRUE, TUPLE3, REDUCE, MARK, BININT1, 3, TUPLE, BUILD, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        assert_eq!(w.builds, [Kind::Dtype("u4".into())]);
    }

    #[test]
    fn reconstruct_builds_an_instance_of_its_class_argument() {
        let mut p = vec![PROTO, 2, GLOBAL];
        p.extend_from_slice(b"numpy.core.multiarray\n_reconstruct\n");
        p.push(GLOBAL);
        p.extend_from_slice(b"numpy\nndarray\n");
        p.extend([BININT1, 0, TUPLE1, NONE, TUPLE3, REDUCE, EMPTY_TUPLE, BUILD, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        assert_eq!(w.builds, [Kind::Instance(1)]);
        assert!(w.globals[1].built && !w.globals[1].called);
    }

    #[test]
    fn fills_record_their_target() {
        let mut p = vec![PROTO, 2, GLOBAL];
        p.extend_from_slice(b"collections\ndefaultdict\n");
        p.extend([EMPTY_TUPLE, REDUCE, MARK, NONE, NONE, SETITEMS, EMPTY_LIST, NONE, APPEND, POP, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        assert_eq!(w.fills, [(Fill::Items, Kind::Instance(0)), (Fill::Append, Kind::List)]);
    }

    #[test]
    fn persistent_ids() {
        let mut p = vec![PROTO, 2, MARK];
        p.extend(unicode("storage"));
        p.extend([BININT1, 0, TUPLE, BINPERSID, POP, MARK]);
        p.extend(unicode("module"));
        p.extend([TUPLE, BINPERSID, POP, BININT1, 1, BINPERSID, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
        assert_eq!(
            w.persistent_ids,
            [PersistentId::Storage, PersistentId::Tagged("module".into()), PersistentId::Other("an integer")]
        );
    }

    #[test]
    fn legacy_magic_number_is_the_result() {
        let p = [PROTO, 2, LONG1, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, STOP];
        assert_eq!(walk(&p).result_int, Some(0x1950A86A20F9469CFC6C));
    }

    #[test]
    fn memo_keys_in_and_out_of_sequence() {
        let mut memo = Memo::default();
        memo.insert(5, Value::Int(5));
        memo.insert(0, Value::Int(0));
        memo.insert(0, Value::Int(1));
        memo.insert(1, Value::Int(2));
        assert_eq!(memo.len, 3);
        assert!(matches!(memo.get(0), Some(Value::Int(1))));
        assert!(matches!(memo.get(5), Some(Value::Int(5))));
        assert!(memo.get(2).is_none() && memo.get(u64::MAX).is_none());
        // MEMOIZE numbers by count: after keys 0, 1 and 5, the next is 3.
        let mut p = vec![PROTO, 4, NONE, BINPUT, 0, BINPUT, 1, BINPUT, 5, POP, EMPTY_DICT, MEMOIZE, POP];
        p.extend([BINGET, 3, STOP]);
        let w = walk(&p);
        assert_eq!(w.error, None);
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let mut p = vec![PROTO, 2, GLOBAL];
        p.extend_from_slice(b"posix\nsystem\n");
        p.extend([BINUNICODE, 0xff, 0xff, 0xff, 0x7f, b'a']);
        let w = walk(&p);
        assert_eq!(w.error.as_ref().map(|e| &e.kind), Some(&ErrorKind::Truncated));
        // What was read before the cut is kept.
        assert_eq!(w.globals[0].reference, named("posix", "system"));
        for cut in 0..p.len() {
            assert!(walk(&p[..cut]).error.is_some(), "cut at {cut}");
        }
    }

    #[test]
    fn random_and_corrupted_bytes_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut base = vec![PROTO, 2, EMPTY_DICT, BINPUT, 0, MARK, GLOBAL];
        base.extend_from_slice(b"numpy\ndtype\n");
        base.extend(unicode("u4"));
        base.extend([NEWFALSE, NEWTRUE, TUPLE3, REDUCE, BINPUT, 1, MARK, BININT1, 3, TUPLE, BUILD, BINGET, 1]);
        base.extend([SETITEMS, STOP]);
        for _ in 0..20_000 {
            let mut bytes = base.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % bytes.len() as u64) as usize;
                bytes[i] = next() as u8;
            }
            walk(&bytes);
            let random: Vec<u8> = (0..next() % 64).map(|_| next() as u8).collect();
            walk(&random);
        }
    }

    #[test]
    fn lengths_beyond_the_data_never_allocate() {
        for code in [BINBYTES8, BINUNICODE8, BYTEARRAY8] {
            let mut p = vec![PROTO, 5, code];
            p.extend(u64::MAX.to_le_bytes());
            assert_eq!(walk(&p).error.map(|e| e.kind), Some(ErrorKind::Truncated));
        }
        let p = [PROTO, 2, LONG4, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(walk(&p).error.map(|e| e.kind), Some(ErrorKind::Malformed(_))));
    }

    #[test]
    fn malformed_stacks() {
        assert!(matches!(walk(&[REDUCE]).error.map(|e| e.kind), Some(ErrorKind::Malformed(_))));
        assert!(matches!(walk(&[NONE, MARK, STOP]).error.map(|e| e.kind), Some(ErrorKind::Malformed(_))));
        assert!(matches!(walk(&[BINGET, 3]).error.map(|e| e.kind), Some(ErrorKind::Malformed(_))));
        assert_eq!(walk(&[0xff]).error.map(|e| e.kind), Some(ErrorKind::UnknownOpcode(0xff)));
        assert!(walk(&[PROTO, 6]).error.is_some());
    }

    #[test]
    fn deep_nesting_neither_recurses_nor_explodes() {
        // ((((None,),),)...) a million levels deep, and a memo'd tuple doubled 60 times.
        let mut p = vec![PROTO, 2, NONE];
        p.extend(std::iter::repeat_n(TUPLE1, 1_000_000));
        p.extend([POP, NONE, BINPUT, 0]);
        for _ in 0..60 {
            p.extend([POP, BINGET, 0, BINGET, 0, TUPLE2, BINPUT, 0]);
        }
        p.push(STOP);
        let w = walk(&p);
        assert_eq!(w.error, None);
        let marks = vec![MARK; MAX_STACK + 1];
        assert!(matches!(walk(&marks).error.map(|e| e.kind), Some(ErrorKind::Limit(_))));
    }
}
