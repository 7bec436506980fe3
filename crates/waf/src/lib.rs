//! Request inspection for PixelUnion, in the manner of the OWASP Core Rule
//! Set: rules are data (a versioned TOML file embedded in the binary, or one
//! given by path), each naming its targets, transformations, operator,
//! paranoia level and severity; matches add up to an anomaly score that
//! blocks at a threshold. SQL injection and XSS use libinjection's
//! algorithms (the `libinjectionrs` port).
//!
//! This crate owns the decision only. It must never see the bytes of an
//! uploaded file, never log or return a value it inspected (a hit names the
//! rule and where it matched, not what), and has no HTTP framework types:
//! the server's perimeter layer builds a [`Request`] and acts on the
//! [`Verdict`].

#[cfg(feature = "modsecurity")]
pub mod crs;
pub mod engine;
pub mod hidden;
pub mod memo;
pub mod request;
pub mod rules;
pub mod transform;

pub use engine::{Engine, Exclusion, Hit, Settings, Verdict};
pub use request::{Body, Request};
pub use rules::{RuleError, RuleSet};
