//! The `xml-parse-*` rules: the standard library's XML parsers (Bandit
//! B313-B319, ruff S313-S319). Bandit and ruff give each parser module its
//! own code, so each is a rule of its own (selected and suppressed by its
//! code); they share this file and their documentation.

use crate::documented_rule;
use crate::python::model::Origin;
use crate::report::Finding;
use crate::rules::{CallSite, FileContext, Rule, RuleMeta, Severity};

documented_rule! {
    /// ## What it does
    /// Finds calls of the standard library's XML parsers, through any
    /// alias or from-import (`import xml.etree.ElementTree as ET`,
    /// `from xml.dom.minidom import parseString`). One rule per module, as
    /// Bandit and ruff number them:
    ///
    /// | rule | Bandit | ruff | calls |
    /// |---|---|---|---|
    /// | `xml-parse-celementtree` | B313 | S313 | `xml.etree.cElementTree.parse`, `iterparse`, `fromstring`, `XML`, `XMLParser` |
    /// | `xml-parse-elementtree` | B314 | S314 | `xml.etree.ElementTree.parse`, `iterparse`, `fromstring`, `XML`, `XMLParser` |
    /// | `xml-parse-expatreader` | B315 | S315 | `xml.sax.expatreader.create_parser` |
    /// | `xml-parse-expatbuilder` | B316 | S316 | `xml.dom.expatbuilder.parse`, `parseString` |
    /// | `xml-parse-sax` | B317 | S317 | `xml.sax.parse`, `parseString`, `make_parser` |
    /// | `xml-parse-minidom` | B318 | S318 | `xml.dom.minidom.parse`, `parseString` |
    /// | `xml-parse-pulldom` | B319 | S319 | `xml.dom.pulldom.parse`, `parseString` |
    ///
    /// `XML` is `fromstring` under another name; neither tool lists it.
    /// Methods of parser objects (`tree.parse(f)` on an `ElementTree`) and
    /// `ElementTree(file=f)` are not flagged (nor by either tool), nor is
    /// `defusedxml`. A name bound to something else where it is called (a
    /// parameter named `ET`) is not the module.
    ///
    /// ## Why is this bad?
    /// XML can declare entities that expand into each other: a document of
    /// a few hundred bytes then grows into gigabytes in memory ("billion
    /// laughs"), and external entities and DTDs make the parser read other
    /// files or URLs. Python 3.7.1 stopped resolving external entities by
    /// default, and expat 2.4.1 limits expansion, but which expat a Python
    /// uses depends on how it was built (`pyexpat.EXPAT_VERSION`). Dataset
    /// files, model cards and API responses are untrusted input.
    ///
    /// ## Example
    /// ```python
    /// import xml.etree.ElementTree as ET
    ///
    /// root = ET.parse(annotation_file).getroot()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import defusedxml.ElementTree as ET
    ///
    /// root = ET.parse(annotation_file).getroot()
    /// ```
    ///
    /// ## Fix safety
    /// Never fixed; each finding names the `defusedxml` function to use.
    /// `defusedxml` is a new dependency, and it refuses documents that
    /// declare entities, which some legitimate files do: both are the
    /// project's decision. For XML the program writes and reads back itself,
    /// mark the line `# nosec` with the rule's Bandit code.
    ///
    /// ## References
    /// - Bandit B313-B319 (`xml_bad_ElementTree`, ...), ruff S313-S319
    /// - Python: XML vulnerabilities (`xml` module documentation)
    /// - `defusedxml`
    pub(crate) struct XmlParsing;
}

/// One parser module's rule.
pub(crate) struct XmlParse {
    meta: &'static RuleMeta,
    /// `xml.dom.minidom`
    module: &'static str,
    /// Its `defusedxml` counterpart.
    defused: &'static str,
}

impl Rule for XmlParse {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check_call(&self, _cx: &FileContext<'_>, site: &CallSite<'_>) -> Option<Finding> {
        let callee = site.callee.as_ref().filter(|c| !matches!(c.origin, Origin::Local | Origin::Relative))?;
        let function = callee.qualified.strip_prefix(self.module)?.strip_prefix('.')?;
        if !self.meta.calls.contains(&function) {
            return None;
        }
        let name = &callee.qualified;
        let does = match function {
            "XMLParser" | "make_parser" | "create_parser" => "builds an XML parser",
            _ => "parses XML",
        };
        let message = format!(
            "`{name}` {does} on the standard library's expat: entity expansion can exhaust memory, and entities \
             and DTDs can make it read other files"
        );
        let bandit = self.meta.bandit.unwrap_or_default();
        let reason = format!(
            "use `{}.{function}` instead, which refuses entity declarations (`defusedxml` is a new dependency, so \
             no rewrite is offered); for XML this program wrote itself, mark the line `# nosec {bandit}`",
            self.defused
        );
        Some(Finding::new(self.meta, site.call.node, message).not_fixed(reason))
    }
}

macro_rules! xml_rule {
    ($rule:ident, $meta:ident, $id:literal, $bandit:literal, $bandit_name:literal, $ruff:literal, $module:literal,
     $defused:literal, $word:literal, $summary:literal, [$($call:literal),+]) => {
        static $meta: RuleMeta = RuleMeta {
            id: $id,
            bandit: Some($bandit),
            bandit_name: Some($bandit_name),
            ruff: &[$ruff],
            fix_safety: None,
            severity: Severity::Medium,
            summary: $summary,
            doc: XmlParsing::DOC,
            calls: &[$($call),+],
            query: None,
            // Reaching the module spells `xml` and its own name in an import
            // or the call; `xml` first, looked up once for all seven rules.
            triggers: &[&["xml", $word]],
        };
        pub(crate) static $rule: XmlParse = XmlParse { meta: &$meta, module: $module, defused: $defused };
    };
}

xml_rule!(
    CELEMENTTREE,
    CELEMENTTREE_META,
    "xml-parse-celementtree",
    "B313",
    "xml_bad_cElementTree",
    "S313",
    "xml.etree.cElementTree",
    "defusedxml.ElementTree",
    "cElementTree",
    "XML parsed with `xml.etree.cElementTree` (use `defusedxml`)",
    ["parse", "iterparse", "fromstring", "XML", "XMLParser"]
);
xml_rule!(
    ELEMENTTREE,
    ELEMENTTREE_META,
    "xml-parse-elementtree",
    "B314",
    "xml_bad_ElementTree",
    "S314",
    "xml.etree.ElementTree",
    "defusedxml.ElementTree",
    "ElementTree",
    "XML parsed with `xml.etree.ElementTree` (use `defusedxml`)",
    ["parse", "iterparse", "fromstring", "XML", "XMLParser"]
);
xml_rule!(
    EXPATREADER,
    EXPATREADER_META,
    "xml-parse-expatreader",
    "B315",
    "xml_bad_expatreader",
    "S315",
    "xml.sax.expatreader",
    "defusedxml.expatreader",
    "expatreader",
    "XML parsed with `xml.sax.expatreader` (use `defusedxml`)",
    ["create_parser"]
);
xml_rule!(
    EXPATBUILDER,
    EXPATBUILDER_META,
    "xml-parse-expatbuilder",
    "B316",
    "xml_bad_expatbuilder",
    "S316",
    "xml.dom.expatbuilder",
    "defusedxml.expatbuilder",
    "expatbuilder",
    "XML parsed with `xml.dom.expatbuilder` (use `defusedxml`)",
    ["parse", "parseString"]
);
xml_rule!(
    SAX,
    SAX_META,
    "xml-parse-sax",
    "B317",
    "xml_bad_sax",
    "S317",
    "xml.sax",
    "defusedxml.sax",
    "sax",
    "XML parsed with `xml.sax` (use `defusedxml`)",
    ["parse", "parseString", "make_parser"]
);
xml_rule!(
    MINIDOM,
    MINIDOM_META,
    "xml-parse-minidom",
    "B318",
    "xml_bad_minidom",
    "S318",
    "xml.dom.minidom",
    "defusedxml.minidom",
    "minidom",
    "XML parsed with `xml.dom.minidom` (use `defusedxml`)",
    ["parse", "parseString"]
);
xml_rule!(
    PULLDOM,
    PULLDOM_META,
    "xml-parse-pulldom",
    "B319",
    "xml_bad_pulldom",
    "S319",
    "xml.dom.pulldom",
    "defusedxml.pulldom",
    "pulldom",
    "XML parsed with `xml.dom.pulldom` (use `defusedxml`)",
    ["parse", "parseString"]
);
