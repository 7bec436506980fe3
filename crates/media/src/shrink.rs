//! Shrinking a picture by a whole factor while its rows arrive (a box
//! filter): formats without shrink-on-load (PNG, the raw frames of HEIF
//! decoding) are never held at full size. Memory holds one row of sums and
//! the reduced picture, which stays at least the size the preview needs;
//! the Lanczos resize then makes it exact.

use image::RgbImage;

use crate::MediaError;

/// The largest whole factor that keeps the longer side at least `want`.
pub(crate) fn factor(w: u32, h: u32, want: u32) -> u32 {
    (w.max(h) / want.max(1)).max(1)
}

/// Rows of a `w × h` picture in, its `factor`-reduced picture out.
pub(crate) struct Shrink {
    f: usize,
    w: u32,
    h: u32,
    y: u32,
    rows_in_box: usize,
    sums: Vec<u32>,
    counts: Vec<u32>,
    out: Vec<u8>,
}

impl Shrink {
    /// Ready for the rows of a `w × h` picture, reduced to keep `want`.
    pub(crate) fn new(w: u32, h: u32, want: u32) -> Self {
        let f = factor(w, h, want);
        let (ow, oh) = (w.div_ceil(f) as usize, h.div_ceil(f) as usize);
        Shrink {
            f: f as usize,
            w,
            h,
            y: 0,
            rows_in_box: 0,
            sums: vec![0; ow * 3],
            counts: vec![0; ow],
            out: Vec::with_capacity(ow * oh * 3),
        }
    }

    /// Adds the next row, `w` RGB pixels (more are ignored, rows past the
    /// last too).
    pub(crate) fn push(&mut self, row: impl Iterator<Item = [u8; 3]>) {
        if self.y == self.h {
            return;
        }
        for (x, px) in row.take(self.w as usize).enumerate() {
            let o = x / self.f;
            for (sum, v) in self.sums[o * 3..o * 3 + 3].iter_mut().zip(px) {
                *sum += u32::from(v);
            }
            self.counts[o] += 1;
        }
        self.rows_in_box += 1;
        self.y += 1;
        if self.rows_in_box == self.f || self.y == self.h {
            for (px, n) in self.sums.chunks_exact_mut(3).zip(self.counts.iter_mut()) {
                let n1 = (*n).max(1);
                self.out
                    .extend(px.iter().map(|s| ((*s + n1 / 2) / n1) as u8));
                px.fill(0);
                *n = 0;
            }
            self.rows_in_box = 0;
        }
    }

    /// The reduced picture; an error when rows are missing.
    pub(crate) fn finish(self) -> Result<RgbImage, MediaError> {
        if self.y != self.h {
            return Err(MediaError::Decode("the picture's rows end early".into()));
        }
        let ow = self.w.div_ceil(self.f as u32);
        let oh = self.h.div_ceil(self.f as u32);
        RgbImage::from_raw(ow, oh, self.out)
            .ok_or_else(|| MediaError::Decode("unexpected pixel data".into()))
    }
}
