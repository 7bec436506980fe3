//! Random access: map a plaintext byte range to the exact ciphertext bytes to
//! fetch, and decrypt only those segments (HTTP Range, video seeking).

use std::ops::Range;

use aws_lc_rs::aead::LessSafeKey;
use zeroize::Zeroize;

use super::header::{BlobHeader, HEADER_LEN};
use super::nonce;
use super::stream::open_segment;
use crate::error::{Result, VaultError};
use crate::keys::{DataKey, ObjectId};
use crate::primitives::{TAG_LEN, open_in_place};

/// Sizes of one blob: everything follows from segment size and plaintext length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLayout {
    segment: u64,
    plaintext_len: u64,
}

/// The ciphertext bytes that hold a plaintext range, and where in them the
/// range lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiphertextSpan {
    /// Byte range of the whole blob to fetch (always whole segments, never the
    /// header: fetch `0..HEADER_LEN` separately, or once, and keep it).
    pub ciphertext: Range<u64>,
    /// The plaintext range asked for.
    pub plaintext: Range<u64>,
    /// First segment index in the span.
    pub first_segment: u64,
    /// Last segment index in the span (inclusive).
    pub last_segment: u64,
}

impl BlobLayout {
    /// Layout of a blob of `plaintext_len` bytes with `2^segment_log2` segments.
    pub fn new(segment_log2: u8, plaintext_len: u64) -> Self {
        BlobLayout {
            segment: 1u64 << segment_log2,
            plaintext_len,
        }
    }

    /// Recovers the layout from the stored size of a blob, validating that the
    /// size is one the format can produce.
    pub fn from_ciphertext_len(header: &BlobHeader, ciphertext_len: u64) -> Result<Self> {
        let seg_ct = header.segment_size() as u64 + TAG_LEN as u64;
        let body = ciphertext_len
            .checked_sub(HEADER_LEN as u64)
            .filter(|b| *b >= TAG_LEN as u64)
            .ok_or(VaultError::Truncated)?;
        let n = body.div_ceil(seg_ct);
        let last_ct = body - (n - 1) * seg_ct;
        if n > 1 && last_ct <= TAG_LEN as u64 {
            return Err(VaultError::InvalidFormat("ciphertext length is impossible"));
        }
        Ok(BlobLayout {
            segment: header.segment_size() as u64,
            plaintext_len: body - n * TAG_LEN as u64,
        })
    }

    /// Plaintext length.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// Number of segments (at least one, even for an empty plaintext).
    pub fn segment_count(&self) -> u64 {
        self.plaintext_len.div_ceil(self.segment).max(1)
    }

    /// Total blob length, header included.
    pub fn ciphertext_len(&self) -> u64 {
        HEADER_LEN as u64 + self.plaintext_len + self.segment_count() * TAG_LEN as u64
    }

    fn segment_ct_len(&self, index: u64) -> u64 {
        if index + 1 == self.segment_count() {
            self.plaintext_len - index * self.segment + TAG_LEN as u64
        } else {
            self.segment + TAG_LEN as u64
        }
    }

    fn segment_offset(&self, index: u64) -> u64 {
        HEADER_LEN as u64 + index * (self.segment + TAG_LEN as u64)
    }

    /// The ciphertext to fetch for plaintext bytes `range` (non-empty, within
    /// the plaintext).
    pub fn span(&self, range: Range<u64>) -> Result<CiphertextSpan> {
        if range.start >= range.end || range.end > self.plaintext_len {
            return Err(VaultError::RangeNotSatisfiable {
                start: range.start,
                end: range.end,
                len: self.plaintext_len,
            });
        }
        let first = range.start / self.segment;
        let last = (range.end - 1) / self.segment;
        let start = self.segment_offset(first);
        let end = self.segment_offset(last) + self.segment_ct_len(last);
        Ok(CiphertextSpan {
            ciphertext: start..end,
            plaintext: range,
            first_segment: first,
            last_segment: last,
        })
    }
}

/// Decrypts the ciphertext of one [`CiphertextSpan`], streamed in any chunk
/// sizes, and emits exactly the plaintext range asked for.
pub struct RangeDecryptor {
    key: LessSafeKey,
    header: BlobHeader,
    layout: BlobLayout,
    span: CiphertextSpan,
    index: u64,
    /// a segment's ciphertext split across pushes (unused when each push
    /// holds whole segments, as a ranged read's does)
    pending: Vec<u8>,
}

impl std::fmt::Debug for RangeDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeDecryptor")
            .field("span", &self.span)
            .field("segment", &self.index)
            .finish_non_exhaustive()
    }
}

impl RangeDecryptor {
    /// Prepares to decrypt `span` of the blob with this header and layout.
    pub fn new(
        key: &DataKey,
        object: ObjectId,
        header: &BlobHeader,
        layout: BlobLayout,
        span: CiphertextSpan,
    ) -> Result<Self> {
        Ok(RangeDecryptor {
            key: header.object_key(key, object)?,
            header: header.clone(),
            layout,
            index: span.first_segment,
            span,
            pending: Vec::new(),
        })
    }

    /// Opens the current segment from `ciphertext` straight into `out`
    /// and keeps only the part of it inside the range: the plaintext outside
    /// (before the range's start in the first segment, after its end in the
    /// last) is zeroed before it is dropped.
    fn emit(&mut self, ciphertext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let i = self.index;
        let last = i + 1 == self.layout.segment_count();
        let start = out.len();
        open_segment(&self.key, &self.header, i, last, ciphertext, out)?;
        let seg_start = i * self.layout.segment;
        let from = self.span.plaintext.start.saturating_sub(seg_start) as usize;
        let to = ((self.span.plaintext.end - seg_start) as usize).min(out.len() - start);
        if start + to < out.len() {
            out[start + to..].zeroize();
            out.truncate(start + to);
        }
        if from > 0 {
            out[start..start + from].zeroize();
            out.drain(start..start + from);
        }
        self.index += 1;
        Ok(())
    }

    /// Consumes ciphertext of the span in order; appends plaintext to `out`.
    /// Whole segments are opened from `input` where they lie; only a segment
    /// split across calls is gathered first.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        while !input.is_empty() {
            if self.index > self.span.last_segment {
                return Err(VaultError::TrailingData);
            }
            let want = self.layout.segment_ct_len(self.index) as usize;
            if self.pending.is_empty() && input.len() >= want {
                let (segment, rest) = input.split_at(want);
                self.emit(segment, out)?;
                input = rest;
                continue;
            }
            let take = (want - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() == want {
                let pending = std::mem::take(&mut self.pending);
                let r = self.emit(&pending, out);
                self.pending = pending;
                self.pending.clear();
                r?;
            }
        }
        Ok(())
    }

    /// Decrypts the span's whole ciphertext, held in `buf`, where it lies
    /// and returns where in `buf` the plaintext asked for is: one range per
    /// segment, in order. No second buffer is filled, zeroed or copied (a
    /// reader hands the pieces on as they are). Everything else in `buf` —
    /// the tags, and the plaintext before the range's start in the first
    /// segment and after its end in the last — is zeroed; after an error
    /// all of `buf` is. Only for a decryptor nothing was pushed to.
    pub fn open_in_place(self, buf: &mut [u8]) -> Result<Vec<Range<usize>>> {
        let r = self.open_each_in_place(buf);
        if r.is_err() {
            buf.zeroize();
        }
        r
    }

    fn open_each_in_place(&self, buf: &mut [u8]) -> Result<Vec<Range<usize>>> {
        if self.index != self.span.first_segment || !self.pending.is_empty() {
            return Err(VaultError::InvalidFormat(
                "a span is opened in place whole, before any push",
            ));
        }
        let want = self.span.ciphertext.end - self.span.ciphertext.start;
        match (buf.len() as u64).cmp(&want) {
            std::cmp::Ordering::Less => return Err(VaultError::Truncated),
            std::cmp::Ordering::Greater => return Err(VaultError::TrailingData),
            std::cmp::Ordering::Equal => {}
        }
        let count = self.layout.segment_count();
        let mut pieces = Vec::new();
        let mut at = 0usize;
        for i in self.span.first_segment..=self.span.last_segment {
            let len = usize::try_from(self.layout.segment_ct_len(i))
                .map_err(|_| VaultError::InvalidFormat("segment too large"))?;
            let seg = &mut buf[at..at + len];
            let n = open_in_place(
                &self.key,
                nonce(i, i + 1 == count),
                self.header.as_bytes(),
                seg,
            )?;
            let seg_start = i * self.layout.segment;
            let from = self.span.plaintext.start.saturating_sub(seg_start) as usize;
            let to = ((self.span.plaintext.end - seg_start) as usize).min(n);
            seg[..from].zeroize();
            seg[to..].zeroize();
            pieces.push(at + from..at + to);
            at += len;
        }
        Ok(pieces)
    }

    /// Checks that the whole span was received.
    pub fn finish(self) -> Result<()> {
        if self.index <= self.span.last_segment {
            return Err(VaultError::Truncated);
        }
        Ok(())
    }
}

/// Decrypts plaintext `range` from a blob held in memory (convenience for
/// small objects and tests): fetches the header and the span from `blob`.
pub fn decrypt_range(
    key: &DataKey,
    object: ObjectId,
    blob: &[u8],
    range: Range<u64>,
) -> Result<Vec<u8>> {
    let header = BlobHeader::parse(blob)?;
    let layout = BlobLayout::from_ciphertext_len(&header, blob.len() as u64)?;
    let span = layout.span(range)?;
    let bytes = blob
        .get(span.ciphertext.start as usize..span.ciphertext.end as usize)
        .ok_or(VaultError::Truncated)?;
    let mut dec = RangeDecryptor::new(key, object, &header, layout, span)?;
    let mut out = Vec::new();
    dec.push(bytes, &mut out)?;
    dec.finish()?;
    Ok(out)
}
