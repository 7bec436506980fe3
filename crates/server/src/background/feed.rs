//! The loopback feed: ffmpeg and ffprobe need to seek in a video (an MP4's
//! index is often at its end) and a video can be far larger than memory, so
//! instead of a file they read a one-job HTTP URL on 127.0.0.1 that serves
//! the decrypted original with Range, window by window, exactly like a
//! download. Plaintext crosses only the loopback interface, never a disk.
//! The URL holds 128 random bits, the listener takes its port from the
//! kernel, only answers `GET`/`HEAD` on that path, and stops when the
//! [`Feed`] is dropped.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pixelunion_store::BlobName;
use pixelunion_vault::{DataKey, ObjectId};

use crate::AppState;
use crate::http::library::download::{Ranged, ranged};

/// What the feed serves.
#[derive(Clone)]
struct Source {
    state: AppState,
    key: Arc<DataKey>,
    object: ObjectId,
    blob: BlobName,
    len: u64,
    mime: String,
}

/// A running feed; dropping it stops the listener.
pub struct Feed {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Feed {
    /// Serves the blob until dropped.
    pub async fn start(
        state: &AppState,
        key: Arc<DataKey>,
        object: ObjectId,
        blob: BlobName,
        len: u64,
        mime: &str,
    ) -> std::io::Result<Feed> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let source = Source {
            state: state.clone(),
            key,
            object,
            blob,
            len,
            mime: mime.to_string(),
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
    let target = Ranged {
        key: s.key.clone(),
        object: s.object,
        blob: s.blob.clone(),
        len: s.len,
        mime: &s.mime,
        etag: "\"feed\"".into(),
        disposition: None,
    };
    match ranged(&s.state, &headers, target).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
