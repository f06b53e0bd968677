//! `configs/timeouts.yaml`: the HTTP timeouts fixes insert, for ordinary
//! and for streaming requests, overridable by environment variables.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::read_yaml;

/// Seconds, a positive finite number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Seconds(pub f64);

impl fmt::Display for Seconds {
    /// Always with a decimal point, as the plan writes them: `10.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            write!(f, "{:.1}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// One set of httpx-style timeouts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeoutSet {
    pub(crate) connect: Seconds,
    pub(crate) read: Seconds,
    pub(crate) write: Seconds,
    pub(crate) pool: Seconds,
}

impl<'de> Deserialize<'de> for TimeoutSet {
    /// All four keys are required; each error names its key.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = TimeoutSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping with connect, read, write and pool (seconds)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<TimeoutSet, A::Error> {
                let mut values: [Option<Seconds>; 4] = [None; 4];
                while let Some(key) = map.next_key::<String>()? {
                    let Some(slot) = TIMEOUT_KEYS.iter().position(|k| *k == key) else {
                        return Err(de::Error::custom(format!(
                            "`{key}`: unknown key, expected one of connect, read, write, pool"
                        )));
                    };
                    if values[slot].is_some() {
                        return Err(de::Error::custom(format!("`{key}`: appears twice")));
                    }
                    let PositiveSeconds(value) = map.next_value()?;
                    values[slot] = Some(Seconds(value));
                }
                match values {
                    [Some(connect), Some(read), Some(write), Some(pool)] => {
                        Ok(TimeoutSet { connect, read, write, pool })
                    }
                    _ => {
                        let missing: Vec<&str> =
                            TIMEOUT_KEYS.iter().zip(values).filter(|(_, v)| v.is_none()).map(|(k, _)| *k).collect();
                        Err(de::Error::custom(format!("missing {}", missing.join(", "))))
                    }
                }
            }
        }
        d.deserialize_map(SetVisitor)
    }
}

const TIMEOUT_KEYS: [&str; 4] = ["connect", "read", "write", "pool"];

/// The longest timeout accepted: one day. A longer bound protects nothing,
/// and a huge one (`1e303`) would be written into code as a number no HTTP
/// client takes, or overflow to `inf` when connect and read are added for
/// aiohttp's `total`.
pub(crate) const MAX_TIMEOUT_SECONDS: f64 = 86_400.0;

/// Why `value` is not a usable number of seconds, if it is not: it must be
/// positive, finite and at most [`MAX_TIMEOUT_SECONDS`].
fn out_of_range(value: f64) -> Option<String> {
    if value.is_finite() && value > 0.0 && value <= MAX_TIMEOUT_SECONDS {
        return None;
    }
    // Large values in exponent form: `1e303`, not 304 digits.
    let shown = if value.is_finite() && value.abs() >= 1e16 { format!("{value:e}") } else { value.to_string() };
    Some(if value.is_finite() && value > MAX_TIMEOUT_SECONDS {
        format!("timeout must be at most {MAX_TIMEOUT_SECONDS} seconds (one day), got {shown}")
    } else {
        format!("timeout must be a positive number of seconds, got {shown}")
    })
}

/// A positive, finite number of seconds, at most a day. Read straight from
/// the scalar, never through a generic YAML value, so an alias to a huge
/// sequence is refused without being expanded.
struct PositiveSeconds(f64);

impl<'de> Deserialize<'de> for PositiveSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct SecondsVisitor;
        impl Visitor<'_> for SecondsVisitor {
            type Value = PositiveSeconds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a positive number of seconds")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<PositiveSeconds, E> {
                match out_of_range(v) {
                    None => Ok(PositiveSeconds(v)),
                    Some(reason) => Err(E::custom(reason)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<PositiveSeconds, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<PositiveSeconds, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_f64(SecondsVisitor)
    }
}

/// `timeouts.yaml`: plain calls and streaming calls.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Timeouts {
    #[serde(rename = "HTTP_TIMEOUTS", default = "Timeouts::default_http")]
    pub(crate) http: TimeoutSet,
    #[serde(rename = "STREAMING_TIMEOUTS", default = "Timeouts::default_streaming")]
    pub(crate) streaming: TimeoutSet,
}

impl Default for Timeouts {
    /// The plan's values.
    fn default() -> Self {
        Timeouts { http: Self::default_http(), streaming: Self::default_streaming() }
    }
}

impl Timeouts {
    fn default_http() -> TimeoutSet {
        TimeoutSet { connect: Seconds(10.0), read: Seconds(60.0), write: Seconds(10.0), pool: Seconds(10.0) }
    }

    fn default_streaming() -> TimeoutSet {
        TimeoutSet { read: Seconds(300.0), ..Self::default_http() }
    }

    pub(crate) fn load(path: &Path) -> Result<Timeouts> {
        read_yaml(path)
    }

    /// Applies the environment's single-value overrides,
    /// `REMEDIATE_{HTTP,STREAMING}_{CONNECT,READ,WRITE,POOL}_TIMEOUT`, read
    /// through `lookup`. An empty variable counts as unset; any other value
    /// must be a positive number of seconds, at most a day.
    pub(crate) fn with_overrides(mut self, lookup: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<Timeouts> {
        for (set_name, set) in [("HTTP", &mut self.http), ("STREAMING", &mut self.streaming)] {
            for key in TIMEOUT_KEYS {
                let name = override_variable(set_name, key);
                let Some(raw) = lookup(&name).filter(|v| !v.is_empty()) else { continue };
                let text = raw.to_str().with_context(|| format!("environment variable {name}: not valid UTF-8"))?;
                let value = match text.trim().parse::<f64>() {
                    Ok(v) => match out_of_range(v) {
                        None => Seconds(v),
                        Some(reason) => bail!("environment variable {name}={text:?}: {reason}"),
                    },
                    _ => bail!("environment variable {name}={text:?}: timeout must be a positive number of seconds"),
                };
                *set.slot(key) = value;
            }
        }
        Ok(self)
    }
}

/// `REMEDIATE_HTTP_READ_TIMEOUT` for (`HTTP`, `read`).
pub(crate) fn override_variable(set: &str, key: &str) -> String {
    format!("REMEDIATE_{set}_{}_TIMEOUT", key.to_ascii_uppercase())
}

impl TimeoutSet {
    fn slot(&mut self, key: &str) -> &mut Seconds {
        match key {
            "connect" => &mut self.connect,
            "read" => &mut self.read,
            "write" => &mut self.write,
            _ => &mut self.pool,
        }
    }
}
