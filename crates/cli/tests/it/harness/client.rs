//! Talking to the server under test over HTTPS with reqwest: the server's
//! own self-signed certificate is trusted (never "accept anything"), and a
//! call can be pinned to HTTP/1.1 or HTTP/2.

use std::time::Duration;

use reqwest::blocking::{Body, Client};
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::server::Server;

/// Which protocol a call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// HTTP/1.1 (the default of the harness)
    Http1,
    /// HTTP/2 (negotiated with ALPN)
    Http2,
}

/// Clients that trust the certificate in `cert.pem`: `(HTTP/1.1, HTTP/2)`.
pub fn clients(cert_pem: &[u8]) -> (Client, Client) {
    clients_from(cert_pem, None)
}

/// [`clients`] whose connections leave from the local address `local`
/// (another loopback address: another client, as a server sees it).
pub fn clients_from(cert_pem: &[u8], local: Option<std::net::IpAddr>) -> (Client, Client) {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(c.expect("certificate")).expect("root");
    }
    let make = |alpn: &[u8]| {
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        tls.alpn_protocols = vec![alpn.to_vec()];
        let b = Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(Duration::from_secs(120))
            .local_address(local)
            .redirect(reqwest::redirect::Policy::none());
        let b = if alpn == b"h2" {
            b.http2_prior_knowledge()
        } else {
            b.http1_only()
        };
        b.build().expect("client")
    };
    (make(b"http/1.1"), make(b"h2"))
}

/// A request being put together.
#[must_use]
pub struct Call<'a> {
    server: &'a Server,
    method: reqwest::Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Body>,
    form: Option<reqwest::blocking::multipart::Form>,
    proto: Proto,
    timeout: Option<Duration>,
}

impl Server {
    /// Starts a request (`path` from the server's root, e.g. `/api/v1/assets`).
    pub fn call(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            server: self,
            method: reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            path: path.to_string(),
            headers: Vec::new(),
            body: None,
            form: None,
            proto: Proto::Http1,
            timeout: None,
        }
    }

    /// A JSON API call: `(status, body as JSON or Null)`.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut c = self.call(method, path);
        if let Some(t) = token {
            c = c.bearer(t);
        }
        if let Some(b) = body {
            c = c.json(&b);
        }
        let r = c.send();
        (r.status, r.json())
    }

    /// GET without credentials: `(status, body text)`.
    pub fn get(&self, path: &str) -> (u16, String) {
        let r = self.call("GET", path).send();
        (r.status, r.text())
    }

    /// POST a JSON text without credentials: `(status, body text)`.
    pub fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        let r = self
            .call("POST", path)
            .header("content-type", "application/json")
            .bytes(body.as_bytes().to_vec())
            .send();
        (r.status, r.text())
    }
}

impl Call<'_> {
    /// `Authorization: Bearer token`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A JSON body.
    pub fn json(self, v: &Value) -> Self {
        self.header("content-type", "application/json")
            .bytes(v.to_string().into_bytes())
    }

    /// A raw body (with a known length).
    pub fn bytes(mut self, b: Vec<u8>) -> Self {
        self.body = Some(Body::from(b));
        self
    }

    /// A raw body read from `reader` (chunked: no declared length).
    pub fn reader(mut self, reader: impl std::io::Read + Send + 'static) -> Self {
        self.body = Some(Body::new(reader));
        self
    }

    /// A raw body of `len` bytes read from `reader` (declared length).
    pub fn sized_reader(mut self, reader: impl std::io::Read + Send + 'static, len: u64) -> Self {
        self.body = Some(Body::sized(reader, len));
        self
    }

    /// A multipart form with one file field.
    pub fn multipart_file(mut self, field: &str, file_name: &str, mime: &str, b: Vec<u8>) -> Self {
        let part = reqwest::blocking::multipart::Part::bytes(b)
            .file_name(file_name.to_string())
            .mime_str(mime)
            .expect("mime");
        self.form = Some(reqwest::blocking::multipart::Form::new().part(field.to_string(), part));
        self
    }

    /// Uses HTTP/2.
    pub fn http2(mut self) -> Self {
        self.proto = Proto::Http2;
        self
    }

    /// Gives up after `d` (the reply then has status 0).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// Sends it and reads the answer's body into nothing: `(status, bytes
    /// read)` (for answers larger than memory).
    pub fn send_discarding(self) -> (u16, u64) {
        let rb = self.builder();
        match rb.send() {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let n = std::io::copy(&mut r, &mut std::io::sink()).unwrap_or(0);
                (status, n)
            }
            Err(_) => (0, 0),
        }
    }

    fn builder(self) -> reqwest::blocking::RequestBuilder {
        let client = match self.proto {
            Proto::Http1 => &self.server.http1,
            Proto::Http2 => &self.server.http2,
        };
        let mut rb = client.request(self.method, format!("{}{}", self.server.url, self.path));
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        if let Some(b) = self.body {
            rb = rb.body(b);
        }
        if let Some(f) = self.form {
            rb = rb.multipart(f);
        }
        if let Some(t) = self.timeout {
            rb = rb.timeout(t);
        }
        rb
    }

    /// Sends it; a transport failure is status 0 with the error as the body.
    pub fn send(self) -> Reply {
        match self.builder().send().and_then(|r| {
            let status = r.status().as_u16();
            let version = r.version();
            let headers = r.headers().clone();
            r.bytes().map(|b| (status, version, headers, b.to_vec()))
        }) {
            Ok((status, version, headers, body)) => Reply {
                status,
                version,
                headers,
                body,
            },
            Err(e) => Reply {
                status: 0,
                version: reqwest::Version::HTTP_11,
                headers: HeaderMap::new(),
                body: e.to_string().into_bytes(),
            },
        }
    }
}

/// `data` as a reader handing out 64 KiB at a time, so that a body made of
/// it is sent chunked (no declared length).
pub fn chunked(data: Vec<u8>) -> impl std::io::Read + Send + 'static {
    Pieces {
        data,
        at: 0,
        per_second: None,
        started: std::time::Instant::now(),
    }
}

/// `data` as a reader that hands out at most `per_second` bytes a second
/// (a slow link), sent chunked.
pub fn throttled(data: Vec<u8>, per_second: usize) -> impl std::io::Read + Send + 'static {
    Pieces {
        data,
        at: 0,
        per_second: Some(per_second),
        started: std::time::Instant::now(),
    }
}

struct Pieces {
    data: Vec<u8>,
    at: usize,
    per_second: Option<usize>,
    started: std::time::Instant,
}

impl std::io::Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(rate) = self.per_second {
            // Wait until the link would have carried what was sent so far.
            let due = Duration::from_secs_f64(self.at as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(self.started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        // A slow link sends a tenth of a second's worth at a time.
        let piece = self
            .per_second
            .map_or(64 << 10, |r| (r / 10).clamp(1, 64 << 10));
        let n = buf.len().min(piece).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status (0: no answer)
    pub status: u16,
    /// the protocol it came over
    pub version: reqwest::Version,
    /// headers
    pub headers: HeaderMap,
    /// the body
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (Null if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `status: code` of a JSON error answer.
    pub fn error_code(&self) -> Option<String> {
        self.json()["error"]["code"].as_str().map(str::to_string)
    }
}
