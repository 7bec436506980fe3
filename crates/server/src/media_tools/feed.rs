//! The loopback feed: ffmpeg and ffprobe need to seek in a video (an MP4's
//! index is often at its end) and a video can be far larger than memory, so
//! instead of a file they read a one-job HTTP URL on 127.0.0.1 that serves
//! the decrypted original with Range, window by window, exactly like a
//! download. Plaintext crosses only the loopback interface, never a disk.
//! The URL holds 128 random bits, the listener takes its port from the
//! kernel, only answers `GET`/`HEAD` on that path, and stops when the
//! [`Feed`] is dropped.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::http::range::{self, Presentation};
use crate::library::files::Readable;

/// What the feed serves.
#[derive(Clone)]
struct Source {
    state: AppState,
    file: Readable,
}

/// A running feed; dropping it stops the listener.
#[derive(Debug)]
pub struct Feed {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Feed {
    /// Serves `file` until dropped.
    pub async fn start(state: &AppState, file: Readable) -> std::io::Result<Feed> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let source = Source {
            state: state.clone(),
            file,
        };
        let app = Router::new()
            .route(&format!("/{token}"), get(serve))
            .with_state(source);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Feed {
            url: format!("http://127.0.0.1:{port}/{token}"),
            task,
        })
    }

    /// The URL to hand to the tool.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(s): State<Source>, headers: HeaderMap) -> Response {
    let how = Presentation {
        cache_control: "no-store",
        disposition: None,
    };
    match range::serve(&s.state, &headers, &s.file, how).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pixelunion_store::BlobName;
    use pixelunion_vault::DataKey;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn get(url: &str, path: &str, range: &str) -> String {
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nRange: {range}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.expect("read");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn serves_ranges_of_one_blob_on_its_secret_path_until_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::config::Config {
            data_dir: dir.path().join("data"),
            ..crate::config::Config::default()
        };
        let (state, _) = crate::prepare(config).await.expect("prepare");
        let key = Arc::new(
            DataKey::generate(pixelunion_vault::KeyId::User { generation: 1 }).expect("key"),
        );
        let name = BlobName::random();
        let object = name.object_id();
        let plaintext: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        state
            .stores()
            .primary
            .put_encrypted(&key, object, name.clone(), &plaintext)
            .await
            .expect("put");
        let file = Readable {
            key,
            object,
            blob: name,
            len: plaintext.len() as u64,
            mime: "video/mp4".into(),
            etag: "\"feed\"".into(),
            file_name: None,
            patches: None,
            parts_of: None,
        };
        let feed = Feed::start(&state, file).await.expect("feed");
        let url = feed.url().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let path = format!("/{}", url.rsplit('/').next().unwrap_or_default());
        // Range answers with exactly those plaintext bytes.
        let r = get(&url, &path, "bytes=100000-100009").await;
        assert!(r.starts_with("HTTP/1.1 206"), "{r}");
        assert!(
            r.contains("content-range: bytes 100000-100009/200000"),
            "{r}"
        );
        let body = r.split("\r\n\r\n").nth(1).unwrap_or_default().as_bytes();
        assert_eq!(body, &plaintext[100_000..100_010]);
        // Any other path is refused.
        let r = get(&url, "/0123456789abcdef0123456789abcdef", "bytes=0-9").await;
        assert!(r.starts_with("HTTP/1.1 404"), "{r}");
        // Dropped: nothing listens any more.
        drop(feed);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "the feed stops with its job"
        );
    }
}
