//! The integration tests, in one binary (one link step instead of one per
//! file). Each module starts the real `pixelunion` binary where only the
//! process shows what is tested (key material in memory and on disk, crash
//! safety, TLS, the browser) and talks to it over HTTPS through
//! [`harness`]. Tests that need a service (PostgreSQL, S3, media tools,
//! Chromium) take its address from the environment and say when they skip;
//! with `CI` set, a missing service is a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    missing_debug_implementations
)]

mod harness;

mod access_matrix;
mod accounts;
mod alerts;
mod audit;
mod backup;
mod browser;
mod classification;
mod crash;
mod deletion;
mod durability;
mod errors;
mod export;
mod firewall;
mod formats;
mod grants;
mod import;
mod importer;
mod incidents;
mod library;
mod lifecycle;
mod media;
mod metrics;
mod nodes;
mod operator;
mod organise;
mod packaging;
mod pages;
mod perimeter;
mod policies;
mod recovery;
mod resumable;
mod search;
mod selection;
mod sharing;
