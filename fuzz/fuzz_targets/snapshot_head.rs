//! Untrusted snapshot heads (the backup store can return anything, and a
//! restore parses the head before any key is available): decoding must
//! reject garbage without panicking or allocating without bound, and what
//! decodes must encode back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixelunion_vault::snapshot_head::Head;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Head::decode(data) {
        assert_eq!(h.encode(), data);
        let _ = Head::body_object_id(data);
    }
});
