//! The export archive's bytes, computed piece by piece from each entry's
//! path, length and CRC-32 — so the whole archive's layout is known before
//! its first byte and any byte range of it can be made again (resumable
//! downloads). A plain ZIP (APPNOTE 6.3): stored entries (photos and videos
//! are compressed already), UTF-8 names, no data descriptors; ZIP64 fields
//! only where a size, an offset or the count needs them.

/// Sizes and offsets from here on need ZIP64 fields.
pub const ZIP64_LIMIT: u64 = 0xFFFF_FFFF;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const END64_SIG: u32 = 0x0606_4b50;
const LOCATOR64_SIG: u32 = 0x0706_4b50;
/// Bit 11: names are UTF-8.
const FLAGS: u16 = 1 << 11;
const VERSION_PLAIN: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// "Made by": Unix (3), spec 4.5.
const MADE_BY: u16 = (3 << 8) | VERSION_ZIP64;
/// Regular file, rw-r--r--.
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

/// A file in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// its path inside the archive (`2024/07/IMG_0042.jpg`)
    pub path: String,
    /// bytes
    pub size: u64,
    /// CRC-32 of its bytes
    pub crc32: u32,
    /// last-modified time, unix ms (shown by unzip tools)
    pub modified_ms: i64,
}

/// MS-DOS date and time (2-second steps, 1980–2107), UTC.
fn dos_time(ms: i64) -> (u16, u16) {
    let secs = ms.div_euclid(1000).clamp(315_532_800, 4_354_819_198);
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return (0, 0x21);
    };
    let time =
        (u16::from(t.hour()) << 11) | (u16::from(t.minute()) << 5) | u16::from(t.second() / 2);
    let year = u16::try_from(t.year() - 1980).unwrap_or(0);
    let date = (year << 9) | (u16::from(u8::from(t.month())) << 5) | u16::from(t.day());
    (time, date)
}

/// Where ZIP64 starts (tests lower it to exercise ZIP64 with small files).
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    limit: u64,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { limit: ZIP64_LIMIT }
    }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn clip32(v: u64, big: bool) -> u32 {
    if big {
        u32::MAX
    } else {
        u32::try_from(v).unwrap_or(u32::MAX)
    }
}

impl Layout {
    /// ZIP64 from `limit` on (tests only use a small one).
    pub fn with_limit(limit: u64) -> Self {
        Layout {
            limit: limit.min(ZIP64_LIMIT),
        }
    }

    fn big(&self, v: u64) -> bool {
        v >= self.limit
    }

    /// The local header before `e`'s bytes.
    pub fn local_header(&self, e: &Entry) -> Vec<u8> {
        let big = self.big(e.size);
        let name = e.path.as_bytes();
        let (time, date) = dos_time(e.modified_ms);
        let mut out = Vec::with_capacity(30 + name.len() + 20);
        u32le(&mut out, LOCAL_SIG);
        u16le(&mut out, if big { VERSION_ZIP64 } else { VERSION_PLAIN });
        u16le(&mut out, FLAGS);
        u16le(&mut out, 0); // stored
        u16le(&mut out, time);
        u16le(&mut out, date);
        u32le(&mut out, e.crc32);
        u32le(&mut out, clip32(e.size, big));
        u32le(&mut out, clip32(e.size, big));
        u16le(&mut out, u16::try_from(name.len()).unwrap_or(u16::MAX));
        u16le(&mut out, if big { 20 } else { 0 });
        out.extend_from_slice(name);
        if big {
            u16le(&mut out, 0x0001);
            u16le(&mut out, 16);
            u64le(&mut out, e.size);
            u64le(&mut out, e.size);
        }
        out
    }

    /// Length of [`Layout::local_header`].
    pub fn local_header_len(&self, e: &Entry) -> u64 {
        30 + e.path.len() as u64 + if self.big(e.size) { 20 } else { 0 }
    }

    /// The central directory record of `e`, whose local header is at `offset`.
    pub fn central_header(&self, e: &Entry, offset: u64) -> Vec<u8> {
        let (big_size, big_off) = (self.big(e.size), self.big(offset));
        let name = e.path.as_bytes();
        let (time, date) = dos_time(e.modified_ms);
        let extra_len = if big_size { 16 } else { 0 } + if big_off { 8 } else { 0 };
        let mut out = Vec::with_capacity(46 + name.len() + 4 + extra_len);
        u32le(&mut out, CENTRAL_SIG);
        u16le(&mut out, MADE_BY);
        u16le(
            &mut out,
            if big_size || big_off {
                VERSION_ZIP64
            } else {
                VERSION_PLAIN
            },
        );
        u16le(&mut out, FLAGS);
        u16le(&mut out, 0);
        u16le(&mut out, time);
        u16le(&mut out, date);
        u32le(&mut out, e.crc32);
        u32le(&mut out, clip32(e.size, big_size));
        u32le(&mut out, clip32(e.size, big_size));
        u16le(&mut out, u16::try_from(name.len()).unwrap_or(u16::MAX));
        u16le(
            &mut out,
            if extra_len > 0 {
                extra_len as u16 + 4
            } else {
                0
            },
        );
        u16le(&mut out, 0); // comment
        u16le(&mut out, 0); // disk
        u16le(&mut out, 0); // internal attributes
        u32le(&mut out, EXTERNAL_ATTRS);
        u32le(&mut out, clip32(offset, big_off));
        out.extend_from_slice(name);
        if extra_len > 0 {
            u16le(&mut out, 0x0001);
            u16le(&mut out, extra_len as u16);
            if big_size {
                u64le(&mut out, e.size);
                u64le(&mut out, e.size);
            }
            if big_off {
                u64le(&mut out, offset);
            }
        }
        out
    }

    /// Length of [`Layout::central_header`].
    pub fn central_header_len(&self, e: &Entry, offset: u64) -> u64 {
        let extra = if self.big(e.size) { 16 } else { 0 } + if self.big(offset) { 8 } else { 0 };
        46 + e.path.len() as u64 + if extra > 0 { 4 + extra } else { 0 }
    }

    /// The end records after a central directory of `count` entries and
    /// `cd_len` bytes at `cd_offset`.
    pub fn end(&self, count: u64, cd_offset: u64, cd_len: u64) -> Vec<u8> {
        let zip64 = count >= 0xFFFF || self.big(cd_offset) || self.big(cd_len);
        let mut out = Vec::with_capacity(22 + if zip64 { 76 } else { 0 });
        if zip64 {
            let end64_at = cd_offset + cd_len;
            u32le(&mut out, END64_SIG);
            u64le(&mut out, 44);
            u16le(&mut out, MADE_BY);
            u16le(&mut out, VERSION_ZIP64);
            u32le(&mut out, 0);
            u32le(&mut out, 0);
            u64le(&mut out, count);
            u64le(&mut out, count);
            u64le(&mut out, cd_len);
            u64le(&mut out, cd_offset);
            u32le(&mut out, LOCATOR64_SIG);
            u32le(&mut out, 0);
            u64le(&mut out, end64_at);
            u32le(&mut out, 1);
        }
        u32le(&mut out, END_SIG);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        let n16 = if zip64 {
            u16::MAX
        } else {
            u16::try_from(count).unwrap_or(u16::MAX)
        };
        u16le(&mut out, n16);
        u16le(&mut out, n16);
        u32le(&mut out, clip32(cd_len, zip64));
        u32le(&mut out, clip32(cd_offset, zip64));
        u16le(&mut out, 0);
        out
    }

    /// The whole archive's length for these entries, in order.
    pub fn archive_len<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) -> u64 {
        let mut s = Sizer::default();
        for e in entries {
            s.push(self, e);
        }
        s.total(self)
    }
}

/// The archive's length, counted entry by entry (constant memory).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizer {
    offset: u64,
    cd_len: u64,
    count: u64,
}

impl Sizer {
    /// Counts the next entry.
    pub fn push(&mut self, layout: &Layout, e: &Entry) {
        self.cd_len += layout.central_header_len(e, self.offset);
        self.offset += layout.local_header_len(e) + e.size;
        self.count += 1;
    }

    /// The length of everything counted, with the central directory and end.
    pub fn total(&self, layout: &Layout) -> u64 {
        self.offset + self.cd_len + layout.end(self.count, self.offset, self.cd_len).len() as u64
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Builds a whole archive in memory (small test entries only).
    fn build(layout: Layout, files: &[(&str, &[u8])]) -> Vec<u8> {
        let entries: Vec<Entry> = files
            .iter()
            .map(|(p, b)| Entry {
                path: (*p).to_string(),
                size: b.len() as u64,
                crc32: crc32fast::hash(b),
                modified_ms: 1_720_000_000_000,
            })
            .collect();
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for (e, (_, b)) in entries.iter().zip(files) {
            offsets.push(out.len() as u64);
            out.extend(layout.local_header(e));
            out.extend_from_slice(b);
        }
        let cd_offset = out.len() as u64;
        for (e, o) in entries.iter().zip(&offsets) {
            let h = layout.central_header(e, *o);
            assert_eq!(h.len() as u64, layout.central_header_len(e, *o));
            out.extend(h);
        }
        let cd_len = out.len() as u64 - cd_offset;
        out.extend(layout.end(entries.len() as u64, cd_offset, cd_len));
        assert_eq!(out.len() as u64, layout.archive_len(&entries));
        out
    }

    fn read_back(zip_bytes: Vec<u8>, files: &[(&str, &[u8])]) {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a valid ZIP");
        assert_eq!(z.len(), files.len());
        for (i, (path, bytes)) in files.iter().enumerate() {
            let mut f = z.by_index(i).expect("entry");
            assert_eq!(f.name().expect("a UTF-8 name"), *path);
            let mut got = Vec::new();
            f.read_to_end(&mut got).expect("read (checks the CRC)");
            assert_eq!(&got, bytes);
        }
    }

    #[test]
    fn a_plain_archive_reads_back() {
        let files: &[(&str, &[u8])] = &[
            ("2024/07/IMG_0042.jpg", b"\xff\xd8 not really a jpeg"),
            ("2024/07/Café – été.heic", b"heic bytes"),
            ("empty.txt", b""),
            ("metadata.json", b"{\"format\": \"pixelunion-export-v1\"}"),
        ];
        let bytes = build(Layout::default(), files);
        python_reads(&bytes, files.len());
        read_back(bytes, files);
    }

    #[test]
    fn zip64_fields_read_back_where_needed() {
        // With the limit at 8 bytes, larger files and later offsets use
        // ZIP64 fields exactly as a > 4 GiB file or archive would.
        let files: &[(&str, &[u8])] = &[
            ("a.bin", b"1234"),
            ("big.bin", b"0123456789abcdef0123"),
            ("c.bin", b"xyz"),
        ];
        let layout = Layout::with_limit(8);
        let bytes = build(layout, files);
        assert!(
            bytes.windows(4).any(|w| w == END64_SIG.to_le_bytes()),
            "a ZIP64 end record"
        );
        python_reads(&bytes, files.len());
        read_back(bytes, files);
    }

    /// Python's `zipfile` (an independent reader) opens it and checks every
    /// CRC; skipped without python3 (CI has it).
    fn python_reads(bytes: &[u8], count: usize) {
        let Ok(dir) = tempfile::tempdir() else { return };
        let path = dir.path().join("t.zip");
        std::fs::write(&path, bytes).expect("write");
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.infolist()))",
            ])
            .arg(&path)
            .output();
        match out {
            Ok(o) => {
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), count.to_string());
            }
            Err(_) => {
                #[allow(clippy::disallowed_methods)] // the test harness's CI switch
                let ci = std::env::var_os("CI").is_some();
                assert!(!ci, "CI needs python3");
                eprintln!("SKIPPED the Python zipfile check: no python3");
            }
        }
    }

    #[test]
    fn dos_times_are_utc_and_clamped() {
        // 2024-07-03 09:46:40 UTC
        let (t, d) = dos_time(1_720_000_000_000);
        assert_eq!((t >> 11, (t >> 5) & 63, (t & 31) * 2), (9, 46, 40));
        assert_eq!((d >> 9) + 1980, 2024);
        assert_eq!(((d >> 5) & 15, d & 31), (7, 3));
        assert_eq!(dos_time(0), dos_time(315_532_800_000), "before 1980: 1980");
    }
}
