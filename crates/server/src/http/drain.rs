//! Answers before the request body is read must still reach the client.
//!
//! A handler may answer without reading the body (a declared size over the
//! limit, a wrong method, a bad header) or stop reading half-way (a stream
//! over the limit). Over HTTP/2 the server then resets the stream, and
//! clients that are still sending (curl, some browsers) drop the answer and
//! report a framing error instead. So an unread body is not dropped at once:
//! it is read and discarded in the background — at most [`DRAIN_BYTES`]
//! bytes for at most [`DRAIN_TIME`] — while the answer goes out, and the
//! stream ends normally. Past those bounds the stream is reset as before.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use bytes::Bytes;
use futures::StreamExt;
use http_body::{Frame, SizeHint};

/// Most bytes read and discarded after an answer.
pub const DRAIN_BYTES: u64 = 128 << 20;
/// Longest time spent draining one body.
pub const DRAIN_TIME: Duration = Duration::from_secs(30);

/// A request body that drains what is left of itself when dropped.
#[derive(Debug)]
pub struct DrainOnDrop {
    inner: Option<Body>,
}

impl http_body::Body for DrainOnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.get_mut().inner.as_mut() {
            Some(b) => Pin::new(b).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

impl Drop for DrainOnDrop {
    fn drop(&mut self) {
        let Some(body) = self.inner.take() else {
            return;
        };
        if http_body::Body::is_end_stream(&body) {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(drain(body));
        }
    }
}

async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len() as u64;
            if read > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

/// Wraps the request's body in a [`DrainOnDrop`].
pub fn drain_on_drop(req: Request) -> Request {
    req.map(|b| Body::new(DrainOnDrop { inner: Some(b) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_body_is_read_to_its_end_in_the_background() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let inner = Body::from_stream(tokio_stream_from(rx));
        let body = DrainOnDrop { inner: Some(inner) };
        drop(body);
        // The sender can deliver everything: someone is still reading.
        for _ in 0..8 {
            tokio::time::timeout(
                Duration::from_secs(2),
                tx.send(Ok(Bytes::from(vec![0u8; 1024]))),
            )
            .await
            .expect("not stuck")
            .expect("a reader is there");
        }
        drop(tx);
    }

    fn tokio_stream_from(
        mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    ) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
