//! The shared harness of the integration tests: the real server
//! ([`server`]), a reqwest client pinned to HTTP/1.1 or HTTP/2 that trusts
//! the server's own certificate ([`client`]), and the accounts, uploads,
//! waits and generated media the tests share ([`fixtures`]).
#![allow(dead_code)]

pub mod client;
pub mod fixtures;
pub mod server;

pub use client::{Call, Proto, Reply, chunked, throttled};
pub use fixtures::*;
pub use server::{BIN, Server, files_under, pixelunion};
