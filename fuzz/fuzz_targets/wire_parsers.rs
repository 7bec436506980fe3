//! Untrusted request values (Range header, tus Upload-Metadata, cursors,
//! time bounds): every parser must answer without panicking, and a
//! satisfiable range must lie inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixelunion_wire::{RangeRequest, decode_cursor, parse_range, parse_time, tus_file_name};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let len = data.len() as u64 * 7919;
    if let RangeRequest::Part(r) = parse_range(text, len) {
        assert!(r.start < r.end && r.end <= len);
    }
    let _ = tus_file_name(text);
    let _ = decode_cursor(text);
    let _ = parse_time(text);
});
