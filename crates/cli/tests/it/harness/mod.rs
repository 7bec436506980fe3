//! The shared harness of the integration tests: the real server
//! ([`server`]), a reqwest client pinned to HTTP/1.1 or HTTP/2 that trusts
//! the server's own certificate ([`client`]), and the accounts, uploads,
//! waits and generated media the tests share ([`fixtures`]), the catalog
//! opened beside the server ([`db`]), an SMTP sink ([`smtp`]), a tus client
//! ([`tus`]) and the Garage clusters' buckets ([`garage`]).
#![allow(dead_code)]

pub mod client;
pub mod db;
pub mod fixtures;
pub mod garage;
pub mod server;
pub mod smtp;
pub mod tus;

pub use client::{Proto, Reply, chunked, throttled};
pub use db::Db;
pub use fixtures::*;
pub use server::{
    BIN, LIFTED_LIMITS, Server, files_under, pixelunion, read_files_under, store_objects,
};
