//! # pixelunion-wire
//!
//! Parsers for the values clients put in requests that are not JSON bodies:
//! the `Range` header, tus `Upload-Metadata`, timeline cursors and the
//! timeline's time bounds. They take strings and return plain values, so they
//! can be property-tested and fuzzed (`fuzz/fuzz_targets/wire_parsers.rs`)
//! without a server.
//!
//! Must never: panic on any input, allocate more than a small multiple of the
//! input, or do I/O.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable single range (absent, another unit, several ranges or
    /// malformed): serve the whole representation (RFC 9110 allows ignoring it).
    Whole,
    /// One satisfiable range, `start..end`, end exclusive, within `0..len`.
    Part(Range<u64>),
    /// A well-formed range that selects nothing: 416.
    Unsatisfiable,
}

/// Parses a `Range` header value against a length: single `bytes=a-b`,
/// `bytes=a-` and suffix `bytes=-n` ranges.
pub fn parse_range(value: &str, len: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return RangeRequest::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if a.is_empty() {
        let Some(n) = digits(b).then(|| b.parse::<u64>().ok()).flatten() else {
            return RangeRequest::Whole;
        };
        if n == 0 || len == 0 {
            return RangeRequest::Unsatisfiable;
        }
        return RangeRequest::Part(len.saturating_sub(n)..len);
    }
    let Some(start) = digits(a).then(|| a.parse::<u64>().ok()).flatten() else {
        return RangeRequest::Whole;
    };
    let end = if b.is_empty() {
        len
    } else {
        match digits(b).then(|| b.parse::<u64>().ok()).flatten() {
            Some(last) if last >= start => last.saturating_add(1).min(len),
            // last < first is an invalid range-spec: ignored (RFC 9110 14.1.1)
            _ => return RangeRequest::Whole,
        }
    };
    if start >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Part(start..end)
}

/// The entries of a tus `Upload-Metadata` value: comma-separated
/// `key base64(value)` pairs, each value decoded; `None` for a key alone
/// or a value that is not base64.
pub fn tus_metadata(metadata: &str) -> impl Iterator<Item = (&str, Option<Vec<u8>>)> {
    metadata
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once(' ') {
            Some((k, v)) => (k, STANDARD.decode(v.trim()).ok()),
            None => (pair, None),
        })
}

/// The `filename` (or `name`) entry of a tus `Upload-Metadata` value. None
/// if absent, without a value, or not UTF-8.
pub fn tus_file_name(metadata: &str) -> Option<String> {
    tus_metadata(metadata).find_map(|(k, v)| {
        if k != "filename" && k != "name" {
            return None;
        }
        String::from_utf8(v?).ok()
    })
}

/// An opaque timeline cursor for the position `(sort_at, id)`.
pub fn encode_cursor(sort_at: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{sort_at}:{id}"))
}

/// Reads a cursor made by [`encode_cursor`]; None for anything else.
pub fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    if cursor.len() > 256 {
        return None;
    }
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (at, id) = text.split_once(':')?;
    Some((at.parse().ok()?, id.to_string()))
}

/// A time bound: unix milliseconds, a date (`YYYY-MM-DD`, UTC midnight) or
/// an RFC 3339 timestamp; as unix milliseconds.
pub fn parse_time(value: &str) -> Option<i64> {
    let v = value.trim();
    if let Ok(ms) = v.parse::<i64>() {
        return Some(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{Part, Unsatisfiable, Whole};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-0", 10), Part(0..1));
        assert_eq!(parse_range("bytes=2-", 10), Part(2..10));
        assert_eq!(parse_range("bytes=-3", 10), Part(7..10));
        assert_eq!(parse_range("bytes=-30", 10), Part(0..10));
        assert_eq!(parse_range("bytes=5-100", 10), Part(5..10));
        assert_eq!(parse_range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=7-3", 10), Whole);
        assert_eq!(parse_range("bytes=0-1,4-5", 10), Whole);
        assert_eq!(parse_range("items=0-1", 10), Whole);
        assert_eq!(parse_range("bytes=x-1", 10), Whole);
        assert_eq!(parse_range("bytes=+1-2", 10), Whole);
        assert_eq!(parse_range("bytes=99999999999999999999-", 10), Whole);
    }

    #[test]
    fn metadata_names() {
        assert_eq!(
            tus_file_name("filetype aW1hZ2UvanBlZw==,filename w6l0w6kuanBn,flag").as_deref(),
            Some("été.jpg")
        );
        assert_eq!(tus_file_name("filename !!!"), None);
        let all: Vec<_> = tus_metadata("filename QW5uYQ==, flag ,bad !!").collect();
        assert_eq!(
            all,
            vec![
                ("filename", Some(b"Anna".to_vec())),
                ("flag", None),
                ("bad", None)
            ]
        );
        assert_eq!(tus_file_name("filename"), None);
        assert_eq!(tus_file_name(""), None);
    }

    #[test]
    fn times_parse_three_ways() {
        assert_eq!(parse_time("1705276800000"), Some(1_705_276_800_000));
        assert_eq!(parse_time("2024-01-15"), Some(1_705_276_800_000));
        assert_eq!(
            parse_time("2024-01-15T01:00:00+01:00"),
            Some(1_705_276_800_000)
        );
        assert_eq!(parse_time("15/01/2024"), None);
        assert_eq!(parse_time(""), None);
    }

    proptest! {
        #[test]
        fn a_satisfiable_range_lies_within_the_file(v in ".{0,40}", len in 0u64..1_000_000) {
            if let Part(r) = parse_range(&v, len) {
                prop_assert!(r.start < r.end && r.end <= len);
            }
        }

        #[test]
        fn explicit_ranges_are_understood(a in 0u64..2_000, b in 0u64..2_000, len in 1u64..1_000) {
            let got = parse_range(&format!("bytes={a}-{b}"), len);
            let want = if b < a { Whole } else if a >= len { Unsatisfiable } else { Part(a..(b + 1).min(len)) };
            prop_assert_eq!(got, want);
        }

        #[test]
        fn cursors_round_trip(at in any::<i64>(), id in "[0-9a-f-]{0,40}") {
            prop_assert_eq!(decode_cursor(&encode_cursor(at, &id)), Some((at, id)));
        }

        #[test]
        fn nothing_panics(v in "\\PC{0,64}") {
            let _ = parse_range(&v, 100);
            let _ = tus_file_name(&v);
            let _ = decode_cursor(&v);
            let _ = parse_time(&v);
        }

        #[test]
        fn metadata_names_round_trip(name in "\\PC{1,40}") {
            let meta = format!("size MTA=,filename {}", STANDARD.encode(&name));
            prop_assert_eq!(tus_file_name(&meta), Some(name));
        }
    }
}
