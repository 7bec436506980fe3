//! The sealed root record, re-keying and the keyring.

use pixelunion_catalog::{Catalog, CatalogError};

pub async fn records(c: &Catalog) {
    c.ping().await.expect("ping");
    assert_eq!(c.sealed_root().await.expect("read"), None);
    assert!(c.keyring().await.expect("keyring").is_empty());

    c.initialize_vault(b"sealed-1", 1, b"wrapped-1")
        .await
        .expect("init");
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-1"[..])
    );

    // A second init changes nothing.
    let again = c.initialize_vault(b"sealed-2", 1, b"wrapped-2").await;
    assert!(
        matches!(again, Err(CatalogError::AlreadyInitialized)),
        "{again:?}"
    );
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-1"[..])
    );
    let ring = c.keyring().await.expect("keyring");
    assert_eq!(ring.len(), 1);
    assert_eq!(ring[0].wrapped, b"wrapped-1");

    c.replace_sealed_root(b"sealed-rekeyed")
        .await
        .expect("rekey");
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-rekeyed"[..])
    );

    c.add_keyring_version(2, b"wrapped-v2")
        .await
        .expect("rotate");
    assert!(
        c.add_keyring_version(2, b"dup").await.is_err(),
        "versions are unique"
    );
    c.record_key_usage(1, 500).await.expect("usage");
    c.record_key_usage(1, 20)
        .await
        .expect("usage never shrinks");
    c.record_key_usage(2, u64::MAX).await.expect("saturates");
    let ring = c.keyring().await.expect("keyring");
    assert_eq!(
        ring.iter().map(|r| r.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(ring[0].encryptions, 500);
    assert_eq!(ring[1].encryptions, i64::MAX as u64);
}
