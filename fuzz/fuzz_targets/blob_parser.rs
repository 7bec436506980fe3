//! Untrusted blob bytes (a store can return anything): header parsing, length
//! validation, whole-stream and range decryption (pushed, and opened in
//! place) must reject garbage without panicking or allocating without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixelunion_vault::blob::{BlobDecryptor, BlobHeader, BlobLayout, HEADER_LEN, RangeDecryptor};
use pixelunion_vault::{DataKey, ObjectId};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    // The first two bytes steer the range; the rest is the "stored blob".
    let (steer, blob) = data.split_at(2);
    let Ok(header) = BlobHeader::parse(blob) else {
        return;
    };
    // Use a key with whatever id the header names, so decryption runs deep.
    let Ok(key) = DataKey::from_bytes(header.key_id(), &[7u8; 32]) else {
        return;
    };
    let obj = ObjectId([1; 16]);
    if let Ok(mut dec) = BlobDecryptor::new(&key, obj, &header) {
        let mut out = Vec::new();
        for chunk in blob[HEADER_LEN..].chunks(usize::from(steer[0]) + 1) {
            if dec.push(chunk, &mut out).is_err() {
                break;
            }
        }
        let _ = dec.finish(&mut out);
    }
    if let Ok(layout) = BlobLayout::from_ciphertext_len(&header, blob.len() as u64) {
        assert_eq!(layout.ciphertext_len(), blob.len() as u64);
        let len = layout.plaintext_len();
        if len > 0 {
            let start = u64::from(steer[0]) % len;
            let end = (start + 1 + u64::from(steer[1])).min(len);
            if let Ok(span) = layout.span(start..end) {
                assert!(span.ciphertext.end <= blob.len() as u64);
                let bytes = &blob[span.ciphertext.start as usize..span.ciphertext.end as usize];
                if let Ok(mut dec) = RangeDecryptor::new(&key, obj, &header, layout, span.clone()) {
                    let mut out = Vec::new();
                    if dec.push(bytes, &mut out).is_ok() {
                        let _ = dec.finish();
                    }
                }
                // the streaming readers' path: opened in place, pieces inside the buffer
                if let Ok(dec) = RangeDecryptor::new(&key, obj, &header, layout, span) {
                    let mut buf = bytes.to_vec();
                    if let Ok(pieces) = dec.open_in_place(&mut buf) {
                        assert!(pieces.iter().all(|r| r.start <= r.end && r.end <= buf.len()));
                    } else {
                        assert!(buf.iter().all(|&b| b == 0));
                    }
                }
            }
        }
    }
});
