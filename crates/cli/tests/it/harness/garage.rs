//! The buckets of the two Garage clusters `scripts/garage.sh start` runs (a
//! primary and a backup site), named by the `PIXELUNION_TEST_<WHICH>_*`
//! variables it writes: as a store section of the configuration, and
//! emptied or counted from the test.

/// One of the two Garage instances, as a store section, and a handle to
/// empty its bucket.
pub struct Garage {
    endpoint: String,
    bucket: String,
    key: String,
    secret: String,
}

impl Garage {
    /// The bucket `PIXELUNION_TEST_<WHICH>_*` names, if set.
    pub fn from_env(which: &str) -> Option<Garage> {
        let v = |k: &str| std::env::var(format!("PIXELUNION_TEST_{which}_{k}")).ok();
        Some(Garage {
            endpoint: v("ENDPOINT")?,
            bucket: v("BUCKET")?,
            key: v("ACCESS_KEY_ID")?,
            secret: v("SECRET_ACCESS_KEY")?,
        })
    }

    /// As a `[primary]` or `[backup]` section.
    pub fn toml(&self) -> String {
        format!(
            "kind = \"s3\"\nendpoint = \"{}\"\nbucket = \"{}\"\nregion = \"garage\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\npath_style = true\n",
            self.endpoint, self.bucket, self.key, self.secret
        )
    }

    pub fn store(&self) -> pixelunion_store::BlobStore {
        pixelunion_store::BlobStore::open(
            &pixelunion_store::StoreConfig::S3 {
                endpoint: self.endpoint.clone(),
                region: "garage".into(),
                bucket: self.bucket.clone(),
                access_key_id: self.key.clone(),
                secret_access_key: self.secret.clone().into(),
                path_style: true,
            },
            "test",
        )
        .expect("store")
    }

    /// The same cluster's bucket `bucket`.
    pub fn other_bucket(&self, bucket: &str) -> Garage {
        Garage {
            endpoint: self.endpoint.clone(),
            bucket: bucket.to_string(),
            key: self.key.clone(),
            secret: self.secret.clone(),
        }
    }

    /// Removes the claim of the deployment that last used the bucket (a
    /// new one is about to).
    pub fn release(&self) {
        let store = self.store();
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(store.forget_deployment())
            .expect("forget deployment");
    }

    /// Deletes every object (blobs, snapshots and the deployment's claim).
    pub fn empty(&self) {
        let store = self.store();
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            for b in store.list().await.expect("list") {
                store.delete(&b).await.expect("delete");
            }
            for s in store.list_snapshots().await.expect("list snapshots") {
                store.delete_snapshot(&s.id).await.expect("delete snapshot");
            }
            // the next test's deployment claims the bucket anew
            store.forget_deployment().await.expect("forget deployment");
        });
    }

    pub fn count(&self) -> usize {
        let store = self.store();
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async { store.list().await.expect("list").len() })
    }
}
