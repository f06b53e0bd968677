//! torch's `weights_only` semantics, applied to the facts the walk found.
//!
//! `torch.load(f, weights_only=True)` unpickles with
//! `torch/_weights_only_unpickler.py`, which
//! - implements only protocol-2 opcodes (no `FRAME`, `MEMOIZE`,
//!   `STACK_GLOBAL`, `SHORT_BINUNICODE`, `BINBYTES`, `INST`, `OBJ`, `PERSID`,
//!   `EXT*`... : [`TORCH_OPCODES`]);
//! - resolves each `GLOBAL` by its name in a table, after the Python 2
//!   renames of `torch._utils` ([`torch_name`]): torch's own defaults
//!   ([`TORCH_DEFAULTS`]) plus what `safe_globals` / `add_safe_globals` add,
//!   keyed by `f"{obj.__module__}.{obj.__qualname__}"` or by the string of an
//!   `(obj, "module.name")` tuple. Modules `sys`, `os`, `posix` and `nt` are
//!   refused even when allowlisted;
//! - calls (`REDUCE`) and instantiates (`NEWOBJ`) only objects of that table;
//! - sets state (`BUILD`) only on a `Tensor`, a `Parameter`, an `OrderedDict`
//!   or an object whose exact type is in the table. The type need not be a
//!   global of the pickle: `numpy.dtype("u4")` returns a
//!   `numpy.dtypes.UInt32DType`, which then receives `BUILD`, so it must be
//!   allowlisted too (torch's own `get_unsafe_globals_in_checkpoint` misses it);
//! - fills with `SETITEM(S)` only a `dict`, `OrderedDict` or `Counter`, and
//!   with `APPEND(S)` only a `list`: a dict subclass is refused whatever the
//!   allowlist;
//! - resolves only persistent ids tagged `storage`;
//! - refuses the legacy tar format and TorchScript archives outright.
//!
//! A global is *dangerous* when loading the file without `weights_only`
//! (or allowlisting it) would let the file run code or touch the system:
//! [`dangerous`] lists them with the reason. Such a global is never put in an
//! allowlist.

use std::collections::{BTreeMap, BTreeSet};

use super::archive::{Contents, Format};
use super::pickle::{self, Fill, Kind, PersistentId, Reference, Walk};

/// What `torch.load(f, weights_only=True)` does with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Loads as it is.
    WeightsOnly,
    /// Loads inside `with torch.serialization.safe_globals([...]):` with the printed allowlist.
    NeedsAllowlist,
    /// Refused whatever the allowlist (a format, opcode or container torch's loader does not accept).
    Unsupported,
    /// Names a global that runs code or touches the system.
    Dangerous,
    /// Could not be read whole, or its outcome depends on what a call returns at load time.
    Unknown,
}

impl Verdict {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::WeightsOnly => "weights-only",
            Verdict::NeedsAllowlist => "needs-allowlist",
            Verdict::Unsupported => "unsupported",
            Verdict::Dangerous => "dangerous",
            Verdict::Unknown => "unknown",
        }
    }

    pub(crate) const ALL: [Verdict; 5] =
        [Verdict::WeightsOnly, Verdict::NeedsAllowlist, Verdict::Unsupported, Verdict::Dangerous, Verdict::Unknown];
}

/// Where torch stands on one global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// In torch's default weights-only table.
    Allowed,
    /// Loads once allowlisted.
    NeedsAllowlist,
    /// Runs code or touches the system: never allowlisted.
    Dangerous,
    /// Not a Python name: no allowlist can import it.
    Invalid,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Allowed => "allowed",
            Status::NeedsAllowlist => "needs-allowlist",
            Status::Dangerous => "dangerous",
            Status::Invalid => "invalid",
        }
    }
}

/// How the file names a global.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// By an opcode: `GLOBAL`, `STACK_GLOBAL` or `INST`.
    Opcode(&'static str),
    /// By a `copyreg` extension code.
    Extension(u32),
    /// By a `STACK_GLOBAL` whose strings are computed while loading.
    Unresolved,
    /// Not named at all: the type of a numpy dtype built from this code, which receives `BUILD`.
    DtypeOf(String),
}

/// What the file does with a global.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uses {
    /// Called (`REDUCE`, `INST`, `OBJ`): a function run, or a class built from arguments.
    pub(crate) called: bool,
    /// Instantiated without `__init__` (`NEWOBJ`).
    pub(crate) instantiated: bool,
    /// The type of an object whose state is set (`BUILD`: `__setstate__` or `__dict__` update).
    pub built: bool,
}

impl Uses {
    /// `called`, `instantiated`, `built`, or `referenced` when none (an argument, a storage type...).
    pub(crate) fn names(self) -> Vec<&'static str> {
        let all = [(self.called, "called"), (self.instantiated, "instantiated"), (self.built, "built")];
        let names: Vec<_> = all.into_iter().filter(|(on, _)| *on).map(|(_, n)| n).collect();
        if names.is_empty() {
            vec!["referenced"]
        } else {
            names
        }
    }

    fn merge(&mut self, other: Uses) {
        self.called |= other.called;
        self.instantiated |= other.instantiated;
        self.built |= other.built;
    }
}

/// A global a checkpoint needs, as torch resolves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    /// Module and name after torch's Python 2 renames (`__builtin__` is `builtins`).
    pub module: String,
    pub(crate) name: String,
    /// The spelling in the file, when torch renames it.
    pub(crate) written: Option<String>,
    pub source: Source,
    pub uses: Uses,
    pub status: Status,
    /// Why it is dangerous or invalid.
    pub(crate) reason: Option<String>,
}

impl Global {
    /// `module.name`, the key torch looks up; a description for names the file does not spell.
    pub fn qualified(&self) -> String {
        match &self.source {
            Source::Extension(code) => format!("<copyreg extension {code}>"),
            Source::Unresolved => "<computed STACK_GLOBAL>".to_owned(),
            _ => format!("{}.{}", self.module, self.name),
        }
    }
}

/// A file's verdict, its globals, and the reasons behind the verdict.
#[derive(Debug)]
pub(crate) struct Judgement {
    pub(crate) verdict: Verdict,
    pub(crate) globals: Vec<Global>,
    pub(crate) reasons: Vec<String>,
}

/// The opcodes `torch/_weights_only_unpickler.py` implements.
pub(crate) const TORCH_OPCODES: &[u8] = &[
    pickle::APPEND,
    pickle::APPENDS,
    pickle::BINFLOAT,
    pickle::BINGET,
    pickle::BININT,
    pickle::BININT1,
    pickle::BININT2,
    pickle::BINPERSID,
    pickle::BINPUT,
    pickle::BINUNICODE,
    pickle::BUILD,
    pickle::EMPTY_DICT,
    pickle::EMPTY_LIST,
    pickle::EMPTY_SET,
    pickle::EMPTY_TUPLE,
    pickle::GLOBAL,
    pickle::LONG1,
    pickle::LONG_BINGET,
    pickle::LONG_BINPUT,
    pickle::MARK,
    pickle::NEWFALSE,
    pickle::NEWOBJ,
    pickle::NEWTRUE,
    pickle::NONE,
    pickle::PROTO,
    pickle::REDUCE,
    pickle::SETITEM,
    pickle::SETITEMS,
    pickle::SHORT_BINSTRING,
    pickle::STOP,
    pickle::TUPLE,
    pickle::TUPLE1,
    pickle::TUPLE2,
    pickle::TUPLE3,
];

/// torch's default weights-only table (`_get_allowed_globals()` of torch 2.15, sorted).
/// Regenerate with `sorted(torch._weights_only_unpickler._get_allowed_globals())`.
/// Older 2.x releases allow a subset; a file judged against this table may need
/// more allowlisting there, never less.
#[rustfmt::skip]
pub(crate) const TORCH_DEFAULTS: &[&str] = &[
    "_codecs.encode", "builtins.bytearray", "builtins.complex", "builtins.set", "collections.Counter",
    "collections.OrderedDict", "torch.BFloat16Storage", "torch.BFloat16Tensor", "torch.BoolStorage",
    "torch.BoolTensor", "torch.ByteStorage", "torch.ByteTensor", "torch.CharStorage", "torch.CharTensor",
    "torch.ComplexDoubleStorage", "torch.ComplexFloatStorage", "torch.DoubleStorage", "torch.DoubleTensor",
    "torch.FloatStorage", "torch.FloatTensor", "torch.HalfStorage", "torch.HalfTensor", "torch.IntStorage",
    "torch.IntTensor", "torch.LongStorage", "torch.LongTensor", "torch.QInt32Storage", "torch.QInt8Storage",
    "torch.QUInt2x4Storage", "torch.QUInt4x2Storage", "torch.QUInt8Storage", "torch.ShortStorage",
    "torch.ShortTensor", "torch.Size", "torch.Tensor", "torch._tensor._rebuild_from_type_v2",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor", "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_wrapper_subclass", "torch.bcomplex32", "torch.bfloat16",
    "torch.bits16", "torch.bits1x8", "torch.bits2x4", "torch.bits4x2", "torch.bits8", "torch.bool",
    "torch.complex128", "torch.complex32", "torch.complex64", "torch.cuda.BFloat16Storage",
    "torch.cuda.BFloat16Tensor", "torch.cuda.BoolStorage", "torch.cuda.BoolTensor", "torch.cuda.ByteStorage",
    "torch.cuda.ByteTensor", "torch.cuda.CharStorage", "torch.cuda.CharTensor", "torch.cuda.ComplexDoubleStorage",
    "torch.cuda.ComplexFloatStorage", "torch.cuda.DoubleStorage", "torch.cuda.DoubleTensor",
    "torch.cuda.FloatStorage", "torch.cuda.FloatTensor", "torch.cuda.HalfStorage", "torch.cuda.HalfTensor",
    "torch.cuda.IntStorage", "torch.cuda.IntTensor", "torch.cuda.LongStorage", "torch.cuda.LongTensor",
    "torch.cuda.ShortStorage", "torch.cuda.ShortTensor", "torch.cuda.sparse.BFloat16Tensor",
    "torch.cuda.sparse.ByteTensor", "torch.cuda.sparse.CharTensor", "torch.cuda.sparse.DoubleTensor",
    "torch.cuda.sparse.FloatTensor", "torch.cuda.sparse.HalfTensor", "torch.cuda.sparse.IntTensor",
    "torch.cuda.sparse.LongTensor", "torch.cuda.sparse.ShortTensor", "torch.device", "torch.float16", "torch.float32",
    "torch.float4_e2m1fn_x2", "torch.float64", "torch.float8_e4m3fn", "torch.float8_e4m3fnuz", "torch.float8_e5m2",
    "torch.float8_e5m2fnuz", "torch.float8_e8m0fnu", "torch.int1", "torch.int16", "torch.int2", "torch.int3",
    "torch.int32", "torch.int4", "torch.int5", "torch.int6", "torch.int64", "torch.int7", "torch.int8",
    "torch.nn.parameter.Parameter", "torch.per_channel_affine", "torch.per_channel_affine_float_qparams",
    "torch.per_channel_symmetric", "torch.per_tensor_affine", "torch.per_tensor_symmetric", "torch.qint32",
    "torch.qint8", "torch.quint2x4", "torch.quint4x2", "torch.quint8", "torch.serialization._get_layout",
    "torch.sparse.BFloat16Tensor", "torch.sparse.ByteTensor", "torch.sparse.CharTensor", "torch.sparse.DoubleTensor",
    "torch.sparse.FloatTensor", "torch.sparse.HalfTensor", "torch.sparse.IntTensor", "torch.sparse.LongTensor",
    "torch.sparse.ShortTensor", "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch.uint1",
    "torch.uint16", "torch.uint2", "torch.uint3", "torch.uint32", "torch.uint4", "torch.uint5", "torch.uint6",
    "torch.uint64", "torch.uint7", "torch.uint8",
];

/// A `(module, name)` pair.
type PythonName = (&'static str, &'static str);

/// `(module, name)` renames torch applies to every `GLOBAL` (`NAME_MAPPING` in `torch/_utils.py`).
const NAME_RENAMES: &[(PythonName, PythonName)] = &[
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
    (("itertools", "ifilterfalse"), ("itertools", "filterfalse")),
    (("itertools", "izip_longest"), ("itertools", "zip_longest")),
    (("UserDict", "IterableUserDict"), ("collections", "UserDict")),
    (("UserList", "UserList"), ("collections", "UserList")),
    (("UserString", "UserString"), ("collections", "UserString")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("exceptions", "StandardError"), ("builtins", "Exception")),
    (("UserDict", "UserDict"), ("collections", "UserDict")),
];

/// Module renames, for names not in [`NAME_RENAMES`] (`IMPORT_MAPPING` in `torch/_utils.py`).
const MODULE_RENAMES: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("copy_reg", "copyreg"),
    ("Queue", "queue"),
    ("repr", "reprlib"),
    ("_abcoll", "collections.abc"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("whichdb", "dbm"),
    ("StringIO", "io"),
    ("cStringIO", "io"),
];

/// The module and name torch looks up for a `GLOBAL module name`.
pub(crate) fn torch_name(module: &str, name: &str) -> (String, String) {
    if let Some((_, (m, n))) = NAME_RENAMES.iter().find(|((m, n), _)| *m == module && *n == name) {
        return ((*m).to_owned(), (*n).to_owned());
    }
    let module = MODULE_RENAMES.iter().find(|(from, _)| *from == module).map_or(module, |(_, to)| to);
    (module.to_owned(), name.to_owned())
}

/// Modules whose every global (their submodules' too) is dangerous, and why.
///
/// The list covers the classes of attack pickle scanners look for: running
/// commands or code, reading and writing files, the network, native memory,
/// and nested deserialisation that hides a second pickle from the audit.
const DANGEROUS_MODULES: &[(&str, &str)] = &[
    ("os", "controls processes, files and the environment (torch refuses the module even when allowlisted)"),
    ("posix", "controls processes, files and the environment (os on POSIX; torch refuses the module)"),
    ("nt", "controls processes, files and the environment (os on Windows; torch refuses the module)"),
    ("sys", "reaches the interpreter's modules and state (torch refuses the module)"),
    ("subprocess", "starts processes"),
    ("_posixsubprocess", "starts processes"),
    ("pty", "starts processes on a terminal"),
    ("commands", "runs shell commands (Python 2)"),
    ("popen2", "starts processes (Python 2)"),
    ("multiprocessing", "starts processes"),
    ("asyncio", "starts processes and opens connections"),
    ("signal", "sends and handles signals"),
    ("runpy", "runs modules and scripts"),
    ("code", "runs Python source"),
    ("codeop", "compiles Python source"),
    ("importlib", "imports modules by name"),
    ("imp", "imports modules by name"),
    ("pkgutil", "imports modules by name"),
    ("zipimport", "imports modules from archives"),
    ("marshal", "loads compiled code objects"),
    ("ctypes", "calls native functions and writes memory"),
    ("_ctypes", "calls native functions and writes memory"),
    ("cffi", "calls native functions and writes memory"),
    ("pickle", "unpickles a nested payload the audit cannot see"),
    ("_pickle", "unpickles a nested payload the audit cannot see"),
    ("cPickle", "unpickles a nested payload the audit cannot see"),
    ("dill", "unpickles a nested payload the audit cannot see"),
    ("cloudpickle", "unpickles a nested payload the audit cannot see"),
    ("joblib", "unpickles a nested payload the audit cannot see"),
    ("shelve", "unpickles a nested payload the audit cannot see"),
    ("socket", "opens network connections"),
    ("_socket", "opens network connections"),
    ("ssl", "opens network connections"),
    ("http", "makes HTTP requests"),
    ("httplib", "makes HTTP requests (Python 2)"),
    ("urllib", "makes network requests"),
    ("urllib2", "makes network requests (Python 2)"),
    ("urllib3", "makes network requests"),
    ("requests", "makes network requests"),
    ("httpx", "makes network requests"),
    ("aiohttp", "makes network requests"),
    ("ftplib", "opens network connections"),
    ("smtplib", "opens network connections"),
    ("telnetlib", "opens network connections"),
    ("xmlrpc", "makes remote calls"),
    ("webbrowser", "opens URLs and starts programs"),
    ("shutil", "copies, moves and deletes files"),
    ("pdb", "starts a debugger or runs code strings"),
    ("bdb", "starts a debugger or runs code strings"),
    ("trace", "runs code strings"),
    ("profile", "runs code strings"),
    ("cProfile", "runs code strings"),
    ("timeit", "runs code strings"),
    ("doctest", "runs code found in strings"),
    ("pydoc", "starts pagers and servers"),
    ("venv", "creates environments and runs pip"),
    ("ensurepip", "installs packages"),
    ("pip", "installs packages"),
    ("setuptools", "builds and installs packages"),
    ("distutils", "builds and installs packages"),
    ("torch.hub", "downloads and runs repository code"),
    ("torch.package", "imports code packaged in the file"),
    ("torch.utils.cpp_extension", "compiles and loads native code"),
    ("torch._inductor", "compiles and loads generated code"),
    ("torch.fx.graph_module", "runs generated Python source"),
];

/// Single globals that are dangerous, and why.
const DANGEROUS_GLOBALS: &[(&str, &str)] = &[
    ("builtins.eval", "runs Python source"),
    ("builtins.exec", "runs Python source"),
    ("builtins.execfile", "runs a Python file (Python 2)"),
    ("builtins.compile", "compiles Python source"),
    ("builtins.__import__", "imports modules by name"),
    ("builtins.__build_class__", "builds classes from code"),
    ("builtins.apply", "calls any callable (Python 2)"),
    ("builtins.getattr", "reaches any attribute of any object"),
    ("builtins.setattr", "changes any attribute of any object"),
    ("builtins.delattr", "deletes attributes of any object"),
    ("builtins.globals", "exposes a module's namespace"),
    ("builtins.locals", "exposes a namespace"),
    ("builtins.vars", "exposes an object's namespace"),
    ("builtins.open", "opens files"),
    ("builtins.file", "opens files (Python 2)"),
    ("builtins.breakpoint", "starts a debugger"),
    ("builtins.input", "reads the terminal"),
    ("builtins.exit", "ends the process"),
    ("builtins.quit", "ends the process"),
    ("builtins.reload", "re-imports modules (Python 2)"),
    ("io.open", "opens files"),
    ("io.FileIO", "opens files"),
    ("_io.open", "opens files"),
    ("_io.FileIO", "opens files"),
    ("codecs.open", "opens files"),
    ("operator.attrgetter", "reaches any attribute of any object"),
    ("operator.methodcaller", "calls any method of any object"),
    ("_operator.attrgetter", "reaches any attribute of any object"),
    ("_operator.methodcaller", "calls any method of any object"),
    ("types.FunctionType", "builds functions from code objects"),
    ("types.LambdaType", "builds functions from code objects"),
    ("types.CodeType", "builds code objects"),
    ("types.MethodType", "binds functions to objects"),
    ("torch.load", "loads a nested checkpoint, possibly without weights_only"),
    ("torch.serialization.load", "loads a nested checkpoint, possibly without weights_only"),
    ("torch.serialization._load", "loads a nested checkpoint without weights_only"),
    ("torch.serialization._legacy_load", "loads a nested checkpoint without weights_only"),
    ("torch.storage._load_from_bytes", "loads nested bytes with torch.load(weights_only=False)"),
    ("torch.jit.load", "loads a TorchScript program"),
    ("numpy.load", "loads a nested file, with pickles when allow_pickle is passed"),
    ("numpy.testing._private.utils.runstring", "runs Python source"),
];

/// Attribute names that, at the end of a dotted name, act on the system.
#[rustfmt::skip]
const DANGEROUS_ATTRIBUTES: &[&str] = &[
    "system", "popen", "spawn", "exec", "eval", "load", "loads", "open", "write_text", "write_bytes", "unlink",
    "rmdir", "remove", "rename", "replace", "symlink_to", "hardlink_to", "chmod", "touch", "mkdir",
];

/// Why a global is dangerous, or `None`.
pub(crate) fn dangerous(module: &str, name: &str) -> Option<String> {
    let in_module = |m: &str| module == m || module.strip_prefix(m).is_some_and(|rest| rest.starts_with('.'));
    if let Some((_, why)) = DANGEROUS_MODULES.iter().find(|(m, _)| in_module(m)) {
        return Some((*why).to_owned());
    }
    let first = name.split('.').next().unwrap_or(name);
    let qualified = [format!("{module}.{name}"), format!("{module}.{first}")];
    if let Some((_, why)) = DANGEROUS_GLOBALS.iter().find(|(g, _)| qualified.iter().any(|q| q == g)) {
        return Some((*why).to_owned());
    }
    if name.contains('.') {
        let parts: Vec<&str> = name.split('.').collect();
        if parts.iter().any(|p| p.starts_with("__") && p.ends_with("__")) {
            return Some("walks special attributes, the way sandbox escapes reach any object".to_owned());
        }
        if parts.last().is_some_and(|last| DANGEROUS_ATTRIBUTES.contains(last)) {
            return Some("calls a method that acts on the system".to_owned());
        }
    }
    None
}

#[rustfmt::skip]
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// A dotted Python name: identifiers that are no keywords, so it can be written in an import.
fn is_python_path(path: &str) -> bool {
    path.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
            && !PYTHON_KEYWORDS.contains(&part)
    })
}

fn status_of(module: &str, name: &str) -> (Status, Option<String>) {
    if let Some(why) = dangerous(module, name) {
        return (Status::Dangerous, Some(why));
    }
    if !is_python_path(module) || !is_python_path(name) {
        return (Status::Invalid, Some("not a Python name: no allowlist can import it".to_owned()));
    }
    let qualified = format!("{module}.{name}");
    if TORCH_DEFAULTS.binary_search(&qualified.as_str()).is_ok() {
        (Status::Allowed, None)
    } else {
        (Status::NeedsAllowlist, None)
    }
}

fn global_of(reference: &Reference, opcode: &'static str, uses: Uses) -> Global {
    let (module, name, written, source) = match reference {
        Reference::Named { module, name } => {
            let (m, n) = torch_name(module, name);
            let written = (m != *module || n != *name).then(|| format!("{module}.{name}"));
            (m, n, written, Source::Opcode(opcode))
        }
        Reference::Extension(code) => (String::new(), String::new(), None, Source::Extension(*code)),
        Reference::Unresolved => (String::new(), String::new(), None, Source::Unresolved),
    };
    let (status, reason) = match &source {
        Source::Extension(_) => (Status::Dangerous, Some("resolved only at load time, by copyreg's registry".into())),
        Source::Unresolved => (Status::Dangerous, Some("its name is computed while loading".into())),
        _ => status_of(&module, &name),
    };
    Global { module, name, written, source, uses, status, reason }
}

/// The class numpy gives a dtype built from `code`, for reports.
fn dtype_class(code: &str) -> String {
    let (kind, size) = code.split_at(code.find(|c: char| c.is_ascii_digit()).unwrap_or(code.len()));
    let name = match (kind.trim_start_matches(['<', '>', '|', '=']), size) {
        ("b", _) | ("?", _) => "BoolDType",
        ("i", "1") => "Int8DType",
        ("i", "2") => "Int16DType",
        ("i", "4") => "Int32DType",
        ("i", "8") => "Int64DType",
        ("u", "1") => "UInt8DType",
        ("u", "2") => "UInt16DType",
        ("u", "4") => "UInt32DType",
        ("u", "8") => "UInt64DType",
        ("f", "2") => "Float16DType",
        ("f", "4") => "Float32DType",
        ("f", "8") => "Float64DType",
        ("f", "12" | "16") => "LongDoubleDType",
        ("c", "8") => "Complex64DType",
        ("c", "16") => "Complex128DType",
        ("c", "24" | "32") => "CLongDoubleDType",
        ("O", _) => "ObjectDType",
        ("U", _) => "StrDType",
        ("S", _) => "BytesDType",
        ("V", _) => "VoidDType",
        ("M", _) => "DateTime64DType",
        ("m", _) => "TimeDelta64DType",
        _ => return format!("DType[{code}]"),
    };
    name.to_owned()
}

/// A dtype code safe to write in a Python string literal.
fn is_dtype_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 32 && code.chars().all(|c| c.is_ascii_alphanumeric() || "<>|=[]".contains(c))
}

fn dtype_global(code: &str) -> Global {
    let (status, reason) = if is_dtype_code(code) {
        (Status::NeedsAllowlist, None)
    } else {
        (Status::Invalid, Some("not a numpy dtype code".to_owned()))
    };
    Global {
        module: "numpy.dtypes".to_owned(),
        name: dtype_class(code),
        written: None,
        source: Source::DtypeOf(code.to_owned()),
        uses: Uses { built: true, ..Uses::default() },
        status,
        reason,
    }
}

/// Globals merged over a file's pickles, and each walk's global indices mapped to them.
struct Table {
    globals: Vec<Global>,
    index: BTreeMap<(String, Source), usize>,
}

impl Table {
    fn add(&mut self, global: Global) -> usize {
        let key = (global.qualified(), global.source.clone());
        if let Some(&i) = self.index.get(&key) {
            self.globals[i].uses.merge(global.uses);
            return i;
        }
        self.index.insert(key, self.globals.len());
        self.globals.push(global);
        self.globals.len() - 1
    }

    fn add_walk(&mut self, walk: &Walk) -> Vec<usize> {
        let uses = |g: &pickle::GlobalUse| Uses { called: g.called, instantiated: g.instantiated, built: g.built };
        walk.globals.iter().map(|g| self.add(global_of(&g.reference, g.opcode, uses(g)))).collect()
    }
}

/// Findings that decide the verdict besides the globals.
#[derive(Default)]
struct Findings {
    /// Refused by torch whatever the allowlist.
    blockers: BTreeSet<String>,
    /// Outcome only known at load time.
    doubts: BTreeSet<String>,
}

/// Judges a file's contents with torch's weights-only rules.
pub(crate) fn judge(contents: &Contents) -> Judgement {
    let mut table = Table { globals: Vec::new(), index: BTreeMap::new() };
    let mut findings = Findings::default();
    if let Some(blocker) = format_blocker(contents.format) {
        findings.blockers.insert(blocker.to_owned());
    }
    for walk in &contents.pickles {
        let local = table.add_walk(walk);
        check_walk(walk, &local, &mut table, &mut findings);
    }
    opcode_blocker(&contents.pickles, &mut findings);
    let globals = table.globals;
    let (verdict, reasons) = decide(contents, &globals, findings);
    Judgement { verdict, globals, reasons }
}

fn format_blocker(format: Format) -> Option<&'static str> {
    Some(match format {
        Format::TorchTar => "legacy .tar checkpoint: torch refuses weights_only=True for this format",
        Format::TorchScript => "TorchScript archive: torch.load refuses weights_only=True for it (use torch.jit.load)",
        Format::Pickle => {
            "not written by torch.save (no zip archive, no torch magic number): torch.load cannot read it"
        }
        _ => return None,
    })
}

fn opcode_blocker(walks: &[Walk], findings: &mut Findings) {
    let unsupported: BTreeSet<&str> = walks
        .iter()
        .flat_map(|w| w.opcodes.iter())
        .filter(|b| !TORCH_OPCODES.contains(b))
        .filter_map(pickle::opcode_name)
        .collect();
    if !unsupported.is_empty() {
        let names = unsupported.into_iter().collect::<Vec<_>>().join(", ");
        let protocol =
            walks.iter().filter_map(|w| w.protocol).max().map_or(String::new(), |p| format!(" (protocol {p})"));
        findings
            .blockers
            .insert(format!("opcodes torch's weights-only unpickler does not implement{protocol}: {names}"));
    }
}

/// Describes a kind of object for reasons.
fn describe(kind: &Kind, local: &[usize], table: &Table) -> String {
    let name = |i: &usize| local.get(*i).map_or("?".to_owned(), |&g| table.globals[g].qualified());
    match kind {
        Kind::Instance(i) => format!("a {} instance", name(i)),
        Kind::Global(i) => format!("the global {} itself", name(i)),
        Kind::Result(i) => format!("what {} returns", name(i)),
        Kind::Dtype(code) => format!("a numpy dtype {code:?}"),
        other => format!("a {other:?}").to_lowercase(),
    }
}

fn check_walk(walk: &Walk, local: &[usize], table: &mut Table, findings: &mut Findings) {
    for target in &walk.builds {
        check_build(target, local, table, findings);
    }
    for (fill, target) in &walk.fills {
        check_fill(*fill, target, local, table, findings);
    }
    for callee in &walk.called_values {
        let what = describe(callee, local, table);
        findings.blockers.insert(format!("calls {what}, not a named global: torch calls only allowlisted globals"));
    }
    for id in &walk.persistent_ids {
        let what = match id {
            PersistentId::Storage => continue,
            PersistentId::Tagged(tag) => format!("tagged {tag:?}"),
            PersistentId::Other(what) => (*what).to_owned(),
        };
        findings.blockers.insert(format!("persistent id {what}: torch's weights-only loader resolves only storages"));
    }
}

fn check_build(target: &Kind, local: &[usize], table: &mut Table, findings: &mut Findings) {
    match target {
        Kind::Instance(_) | Kind::Tensor | Kind::Parameter => {}
        Kind::Dtype(code) => {
            table.add(dtype_global(code));
        }
        Kind::Result(_) | Kind::Persistent | Kind::Unknown => {
            let what = describe(target, local, table);
            findings.doubts.insert(format!("BUILD sets state on {what}: its type is only known at load time"));
        }
        _ => {
            let what = describe(target, local, table);
            findings.blockers.insert(format!("BUILD sets state on {what}: torch sets state only on allowlisted types"));
        }
    }
}

fn check_fill(fill: Fill, target: &Kind, local: &[usize], table: &Table, findings: &mut Findings) {
    let (opcode, accepted) = match fill {
        Fill::Items => ("SETITEMS", "dict, OrderedDict and Counter"),
        Fill::Append => ("APPENDS", "list"),
        Fill::Add => return, // ADDITEMS is refused as an opcode.
    };
    let fine = match (fill, target) {
        (Fill::Items, Kind::Dict) | (Fill::Append, Kind::List) => true,
        (Fill::Items, Kind::Instance(i)) => local.get(*i).is_some_and(|&g| {
            matches!(table.globals[g].qualified().as_str(), "collections.OrderedDict" | "collections.Counter")
        }),
        (_, Kind::Result(_) | Kind::Persistent | Kind::Unknown) => {
            let what = describe(target, local, table);
            findings.doubts.insert(format!("{opcode} fills {what}: its type is only known at load time"));
            return;
        }
        _ => false,
    };
    if !fine {
        let what = describe(target, local, table);
        findings.blockers.insert(format!("{opcode} fills {what}: torch fills only {accepted}, whatever the allowlist"));
    }
}

fn decide(contents: &Contents, globals: &[Global], findings: Findings) -> (Verdict, Vec<String>) {
    let with_status = |s: Status| globals.iter().filter(move |g| g.status == s);
    let dangerous: Vec<String> = with_status(Status::Dangerous)
        .map(|g| format!("{} ({}): {}", g.qualified(), g.uses.names().join(", "), g.reason.as_deref().unwrap_or("")))
        .collect();
    if !dangerous.is_empty() {
        return (Verdict::Dangerous, dangerous);
    }
    if let Some(error) = &contents.error {
        return (Verdict::Unknown, vec![error.clone()]);
    }
    if contents.format == Format::Safetensors {
        return (Verdict::WeightsOnly, vec!["safetensors: tensors and a JSON header, nothing to unpickle".to_owned()]);
    }
    let mut blockers: Vec<String> = findings.blockers.into_iter().collect();
    let invalid =
        with_status(Status::Invalid).map(|g| format!("{}: {}", g.qualified(), g.reason.as_deref().unwrap_or("")));
    if !blockers.is_empty() {
        blockers.extend(invalid);
        return (Verdict::Unsupported, blockers);
    }
    let doubts: Vec<String> = invalid.chain(findings.doubts).collect();
    if !doubts.is_empty() {
        return (Verdict::Unknown, doubts);
    }
    let needed: Vec<String> = with_status(Status::NeedsAllowlist).map(Global::qualified).collect();
    if needed.is_empty() {
        return (Verdict::WeightsOnly, Vec::new());
    }
    let reason = format!("outside torch's default weights-only globals: {}", needed.join(", "));
    (Verdict::NeedsAllowlist, vec![reason])
}

// ---- the allowlist ---------------------------------------------------------

/// The Python that lets `torch.load(f, weights_only=True)` load a file, for
/// numpy 1.x and 2.x alike, in parts a fixer can place:
/// `imports` at the top of the module, `list()` as the argument of
/// `torch.serialization.safe_globals` around the load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    /// Import statements, one per line, `import torch` included.
    pub(crate) imports: Vec<String>,
    /// The list's elements, Python expressions: objects, or `(object, "module.name")` tuples.
    pub entries: Vec<String>,
    /// Names the entries use that no import provides: classes the saving script defined in `__main__`,
    /// which the loading code must define or import itself.
    pub(crate) unresolved: Vec<String>,
}

impl Allowlist {
    /// The list expression, `[a, b]`.
    pub(crate) fn list(&self) -> String {
        format!("[{}]", self.entries.join(", "))
    }

    /// `with torch.serialization.safe_globals([...]):`
    pub(crate) fn with_statement(&self) -> String {
        format!("with torch.serialization.safe_globals({}):", self.list())
    }

    /// The imports, then the `with` line.
    pub fn python(&self) -> String {
        let mut lines = self.imports.clone();
        lines.push(self.with_statement());
        lines.join("\n")
    }
}

/// An import that binds one name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Import {
    /// `import numpy as np`
    Numpy,
    /// `from module import name [as alias]`
    From { module: String, name: String },
}

/// The allowlist for the globals that need one; dangerous and invalid globals and torch's defaults are left out.
///
/// Each global becomes one entry, or two where the file's spelling may differ
/// from the loading environment's: names under `numpy.core` / `numpy._core`
/// (numpy 2 renamed the package; a checkpoint names the one it was saved
/// with) and `pathlib` (`pathlib._local` since Python 3.13) are listed under
/// both spellings with the tuple form, which torch keys by the string. The
/// numpy core functions are imported from `numpy.core.multiarray`, which both
/// numpy majors provide for unpickling without a deprecation warning. A dtype
/// class is written `type(np.dtype("u4"))`: the exact class unpickling builds.
pub fn allowlist_snippet(globals: &[Global]) -> Allowlist {
    let mut needed: Vec<&Global> = globals.iter().filter(|g| g.status == Status::NeedsAllowlist).collect();
    needed.sort_by_key(|g| g.qualified());
    let mut bindings: BTreeMap<String, Import> = BTreeMap::new();
    let mut allowlist = Allowlist::default();
    for global in needed {
        for entry in entries_for(global, &mut bindings, &mut allowlist.unresolved) {
            if !allowlist.entries.contains(&entry) {
                allowlist.entries.push(entry);
            }
        }
    }
    allowlist.imports = import_lines(&bindings);
    allowlist
}

/// Builtins an import must not shadow in the module it is added to.
#[rustfmt::skip]
const BUILTIN_NAMES: &[&str] = &[
    "abs", "all", "any", "bool", "bytearray", "bytes", "callable", "chr", "complex", "dict", "dir", "divmod",
    "enumerate", "filter", "float", "format", "frozenset", "getattr", "hasattr", "hash", "id", "input", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "open", "ord", "pow",
    "print", "property", "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum", "super",
    "tuple", "type", "vars", "zip",
];

/// Binds `name` to `import` and returns the name bound: an alias when another
/// import, numpy's `np`, `torch` or a builtin holds the name.
fn bind(bindings: &mut BTreeMap<String, Import>, name: &str, import: Import) -> String {
    let mut bound = name.to_owned();
    if let Import::From { module, .. } = &import {
        let taken = bindings.get(&bound).is_some_and(|held| *held != import);
        if taken || ["np", "torch"].contains(&name) || BUILTIN_NAMES.contains(&name) {
            bound = format!("{}_{name}", module.replace('.', "_"));
        }
    }
    bindings.insert(bound.clone(), import);
    bound
}

fn entries_for(global: &Global, bindings: &mut BTreeMap<String, Import>, unresolved: &mut Vec<String>) -> Vec<String> {
    let (module, name) = (global.module.as_str(), global.name.as_str());
    let (first, rest) = name.split_once('.').map_or((name, ""), |(f, r)| (f, r));
    let attribute = |bound: String| if rest.is_empty() { bound } else { format!("{bound}.{rest}") };
    if let Source::DtypeOf(code) = &global.source {
        bind(bindings, "np", Import::Numpy);
        return vec![format!("type(np.dtype({code:?}))")];
    }
    let numpy_core = module.strip_prefix("numpy.core.").or_else(|| module.strip_prefix("numpy._core."));
    if let Some(submodule) = numpy_core {
        let from = format!("numpy.core.{submodule}");
        let object = attribute(bind(bindings, first, Import::From { module: from, name: first.to_owned() }));
        return ["numpy.core", "numpy._core"]
            .iter()
            .map(|package| format!("({object}, \"{package}.{submodule}.{name}\")"))
            .collect();
    }
    match module {
        "numpy" => {
            bind(bindings, "np", Import::Numpy);
            vec![format!("np.{name}")]
        }
        "builtins" => vec![name.to_owned()],
        "__main__" => {
            unresolved.push(first.to_owned());
            vec![attribute(first.to_owned())]
        }
        "pathlib" | "pathlib._local" => {
            let object =
                attribute(bind(bindings, first, Import::From { module: "pathlib".into(), name: first.into() }));
            ["pathlib", "pathlib._local"].iter().map(|m| format!("({object}, \"{m}.{name}\")")).collect()
        }
        _ => {
            let import = Import::From { module: module.to_owned(), name: first.to_owned() };
            vec![attribute(bind(bindings, first, import))]
        }
    }
}

fn import_lines(bindings: &BTreeMap<String, Import>) -> Vec<String> {
    let mut plain = vec!["import torch".to_owned()];
    let mut from = Vec::new();
    for (bound, import) in bindings {
        match import {
            Import::Numpy => plain.push("import numpy as np".to_owned()),
            Import::From { module, name } if name == bound => from.push(format!("from {module} import {name}")),
            Import::From { module, name } => from.push(format!("from {module} import {name} as {bound}")),
        }
    }
    plain.sort();
    from.sort();
    plain.extend(from);
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(module: &str, name: &str) -> Global {
        global_of(&Reference::Named { module: module.into(), name: name.into() }, "GLOBAL", Uses::default())
    }

    #[test]
    fn defaults_are_sorted_for_binary_search() {
        assert!(TORCH_DEFAULTS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn python_2_names_are_renamed_as_torch_does() {
        assert_eq!(torch_name("__builtin__", "set"), ("builtins".into(), "set".into()));
        assert_eq!(torch_name("__builtin__", "xrange"), ("builtins".into(), "range".into()));
        assert_eq!(torch_name("__builtin__", "intern"), ("sys".into(), "intern".into()));
        let set = global("__builtin__", "set");
        assert_eq!((set.status, set.written.as_deref()), (Status::Allowed, Some("__builtin__.set")));
        assert_eq!(global("__builtin__", "eval").status, Status::Dangerous);
    }

    #[test]
    fn statuses() {
        assert_eq!(global("posix", "system").status, Status::Dangerous);
        assert_eq!(global("os.path", "join").status, Status::Dangerous);
        assert_eq!(global("subprocess", "Popen").status, Status::Dangerous);
        assert_eq!(global("torch.storage", "_load_from_bytes").status, Status::Dangerous);
        assert_eq!(global("pathlib", "Path.write_text").status, Status::Dangerous);
        assert_eq!(global("argparse", "Namespace.__init__.__globals__").status, Status::Dangerous);
        assert_eq!(global("collections", "OrderedDict").status, Status::Allowed);
        assert_eq!(global("argparse", "Namespace").status, Status::NeedsAllowlist);
        assert_eq!(global("copyreg", "__newobj__").status, Status::NeedsAllowlist);
        assert_eq!(global("ossify", "x").status, Status::NeedsAllowlist);
        assert_eq!(global("a; import os", "x").status, Status::Invalid);
        assert_eq!(global("m", "class").status, Status::Invalid);
    }

    #[test]
    fn numpy_rng_state_allowlist() {
        let mut globals = vec![
            global("numpy.core.multiarray", "_reconstruct"),
            global("numpy", "ndarray"),
            global("numpy", "dtype"),
            global("collections", "OrderedDict"),
            global("posix", "system"),
        ];
        globals.push(dtype_global("u4"));
        let allowlist = allowlist_snippet(&globals);
        assert_eq!(
            allowlist.imports,
            ["import numpy as np", "import torch", "from numpy.core.multiarray import _reconstruct"]
        );
        assert_eq!(
            allowlist.entries,
            [
                r#"(_reconstruct, "numpy.core.multiarray._reconstruct")"#,
                r#"(_reconstruct, "numpy._core.multiarray._reconstruct")"#,
                "np.dtype",
                r#"type(np.dtype("u4"))"#,
                "np.ndarray",
            ]
        );
        assert!(allowlist.with_statement().starts_with("with torch.serialization.safe_globals([(_reconstruct, "));
        assert!(!allowlist.python().contains("system"));
    }

    #[test]
    fn allowlist_names_never_clash() {
        let globals = [
            global("a.config", "Config"),
            global("b.config", "Config"),
            global("mod", "np"),
            global("builtins", "frozenset"),
            global("__main__", "Args"),
            global("pathlib", "PosixPath"),
        ];
        let allowlist = allowlist_snippet(&globals);
        assert_eq!(
            allowlist.imports,
            [
                "import torch",
                "from a.config import Config",
                "from b.config import Config as b_config_Config",
                "from mod import np as mod_np",
                "from pathlib import PosixPath",
            ]
        );
        assert_eq!(
            allowlist.entries,
            [
                "Args",
                "Config",
                "b_config_Config",
                "frozenset",
                "mod_np",
                r#"(PosixPath, "pathlib.PosixPath")"#,
                r#"(PosixPath, "pathlib._local.PosixPath")"#,
            ]
        );
        assert_eq!(allowlist.unresolved, ["Args"]);
    }

    #[test]
    fn dtype_classes() {
        assert_eq!(dtype_class("u4"), "UInt32DType");
        assert_eq!(dtype_class("f8"), "Float64DType");
        assert_eq!(dtype_class("U5"), "StrDType");
        assert_eq!(dtype_class("M8"), "DateTime64DType");
        assert_eq!(dtype_class("x9"), "DType[x9]");
        assert_eq!(dtype_global("f8\"); import os; (\"").status, Status::Invalid);
    }
}
