//! HTTPS client for `unseal`, `seal`, `status` and `backup`, trusting the server's own
//! certificate (or the CA given).

use anyhow::{Context, Result, bail};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

use crate::ClientArgs;

pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    pub(crate) fn new(args: &ClientArgs) -> Result<Self> {
        let config = crate::load_config(&args.common, None)?;
        let ca = match &args.ca_cert {
            Some(p) => Some(p.clone()),
            None => {
                let (cert, _) = pixelunion_server::tls::paths(&config);
                cert.exists().then_some(cert)
            }
        };
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(client_tls(ca.as_deref())?)
            .timeout(std::time::Duration::from_secs(30));
        builder = builder.https_only(true);
        let base = match &args.addr {
            Some(a) => a.trim_end_matches('/').to_string(),
            // the operator listener, where there is one
            None => format!(
                "https://{}",
                crate::https_host_port(config.operator.listen.unwrap_or(config.listen))
            ),
        };
        Ok(Client {
            http: builder.build()?,
            base,
        })
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Value> {
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status();
        let body: Value = resp.json().await.context("server sent no JSON")?;
        if !status.is_success() {
            let msg = body["error"]["message"]
                .as_str()
                .unwrap_or("request failed");
            bail!("{msg} ({status})");
        }
        Ok(body)
    }

    pub(crate) async fn unseal(&self, share: &str) -> Result<Value> {
        let body = serde_json::json!({ "share": share });
        self.call(
            self.http
                .post(format!("{}/api/v1/sys/unseal", self.base))
                .json(&body),
        )
        .await
    }

    pub(crate) async fn seal(&self) -> Result<Value> {
        self.call(self.http.post(format!("{}/api/v1/sys/seal", self.base)))
            .await
    }

    /// `GET path` (under the server's base URL).
    pub(crate) async fn get(&self, path: &str) -> Result<Value> {
        self.call(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// `POST path` with a JSON body, waiting up to `wait` for the answer
    /// (a snapshot or a verification of a large library takes a while).
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &Value,
        wait: std::time::Duration,
    ) -> Result<Value> {
        self.call(
            self.http
                .post(format!("{}{path}", self.base))
                .json(body)
                .timeout(wait),
        )
        .await
    }

    /// `GET path`, waiting up to `wait`.
    pub(crate) async fn get_waiting(&self, path: &str, wait: std::time::Duration) -> Result<Value> {
        self.call(self.http.get(format!("{}{path}", self.base)).timeout(wait))
            .await
    }

    /// `GET path?query` with an optional bearer token, for a streamed
    /// answer (no time limit on the body); a JSON error answer is an error.
    pub(crate) async fn get_raw(
        &self,
        path: &str,
        query: &[(&str, String)],
        bearer: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .timeout(std::time::Duration::from_secs(24 * 3600));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status();
        if !status.is_success() {
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let msg = body["error"]["message"]
                .as_str()
                .unwrap_or("request failed");
            bail!("{msg} ({status})");
        }
        Ok(resp)
    }

    /// `METHOD path` with an optional JSON body and bearer token.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        self.call(req).await
    }

    pub(crate) async fn status(&self) -> Result<Value> {
        self.call(self.http.get(format!("{}/api/v1/sys/status", self.base)))
            .await
    }
}

fn client_tls(ca: Option<&std::path::Path>) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = ca {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.with_context(|| format!("reading {}", path.display()))?)?;
        }
    }
    if roots.is_empty() {
        bail!("no CA certificate to trust: pass --ca-cert or --data-dir of the server");
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
