//! # pixelunion-web
//!
//! Owns what a browser receives: the HTML of every page, rendered on the
//! server with `maud` ([`pages`]), and the static files (one stylesheet and
//! small ES modules, no build step) embedded in the binary and addressed by
//! a content hash so they can be cached for a year ([`assets`]).
//!
//! Must never: decide who may see a page (the server authenticates and
//! picks the page), put user content into HTML (pages are shells; the ES
//! modules fetch the JSON API and write text with `textContent`, never
//! `innerHTML`), or need anything the strict Content Security Policy
//! ([`CSP`]) forbids: inline scripts, inline styles, other origins.

pub mod assets;
pub mod pages;

/// The Content Security Policy of every page: only this origin's files, no
/// inline code, pictures also from `blob:` (the QR code, upload previews),
/// no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
