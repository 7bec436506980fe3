//! The shared harness of the integration tests: the real server
//! ([`server`]), a reqwest client pinned to HTTP/1.1 or HTTP/2 that trusts
//! the server's own certificate ([`client`]), and the accounts, uploads,
//! waits and generated media the tests share ([`fixtures`]), the catalog
//! opened beside the server ([`db`]) and an SMTP sink ([`smtp`]).
#![allow(dead_code)]

pub mod client;
pub mod db;
pub mod fixtures;
pub mod server;
pub mod smtp;

pub use client::{Call, Proto, Reply, chunked, throttled};
pub use db::Db;
pub use fixtures::*;
pub use server::{BIN, Server, files_under, pixelunion, read_files_under};
