//! Rendering results for people and programs. Every renderer reads the same
//! [`crate::report::FileResult`]s; none of them changes anything.

pub(crate) mod diff;
pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod report;
pub(crate) mod sarif;
pub(crate) mod statistics;
pub mod stream;
pub(crate) mod text;

use std::io::IsTerminal;

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub(crate) fn use_colour(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub(crate) fn stdout_colour() -> bool {
    use_colour(std::io::stdout().is_terminal())
}

/// Code frames go to a terminal only; a pipe gets one line a finding.
pub(crate) fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub(crate) fn stderr_colour() -> bool {
    use_colour(std::io::stderr().is_terminal())
}

/// ANSI styles, or nothing when colour is off.
#[derive(Clone, Copy)]
pub(crate) struct Paint(pub bool);

impl Paint {
    pub(crate) fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    pub(crate) fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
    pub(crate) fn red(self, t: &str) -> String {
        self.wrap("31", t)
    }
    pub(crate) fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub(crate) fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
    pub(crate) fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
}
