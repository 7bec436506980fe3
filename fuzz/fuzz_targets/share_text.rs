//! Untrusted share text (typed by a person or posted to /sys/unseal): parsing
//! must reject garbage cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixelunion_vault::root::{UnsealProgress, initialize};
use std::sync::OnceLock;

static SEALED: OnceLock<pixelunion_vault::root::SealedRootKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let sealed = SEALED.get_or_init(|| initialize(2, 3).map(|i| i.sealed).unwrap_or_else(|_| std::process::abort()));
    if let Ok(text) = std::str::from_utf8(data) {
        let mut p = UnsealProgress::new();
        let _ = p.submit(text, sealed);
    }
});
