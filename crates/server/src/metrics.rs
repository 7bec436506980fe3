//! Prometheus metrics (`GET /metrics`, the text exposition format): one
//! process-wide registry of counters and histograms updated where things
//! happen, and gauges read at scrape time from what the service already
//! knows (seal state, job queue, replication, snapshots).
//!
//! Labels are bounded and never personal: a route **template**
//! (`/api/v1/assets/{id}`, never an id), a method, a status code, a job
//! kind, a media type from the sniffed list, an outcome word. No label ever
//! carries a user id, e-mail, file name, token or address.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

/// A request's route template, method and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// GET, POST, …
    pub method: String,
    /// the route as registered (`/api/v1/assets/{id}`), or `unmatched`
    pub route: String,
    /// the answer's status code
    pub status: u16,
}

/// One word saying how something ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// e.g. `accepted`, `rejected`, `throttled`
    pub outcome: &'static str,
}

/// A job kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// replicate, media, purge, …
    pub kind: String,
}

/// A media type (from the list the library sniffs).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FormatLabels {
    /// e.g. `image/jpeg`, `video/mp4`
    pub format: String,
    /// `ready` or `failed`
    pub outcome: &'static str,
}

/// Which store.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreLabels {
    /// `primary` or `backup`
    pub store: &'static str,
}

/// Every metric of the process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    unseal_attempts: Family<Outcome, Counter>,
    sign_ins: Family<Outcome, Counter>,
    firewall: Family<Outcome, Counter>,
    store_errors: Family<StoreLabels, Counter>,
    media_seconds: Family<FormatLabels, Histogram>,
    tls_handshakes: Family<Outcome, Counter>,
    resumable_completions: Family<Outcome, Counter>,
    sealed: Gauge,
    nodes_serving: Gauge,
    jobs_ready: Family<JobLabels, Gauge>,
    jobs_oldest_secs: Family<JobLabels, Gauge>,
    jobs_dead: Family<JobLabels, Gauge>,
    replication_backlog: Gauge,
    replication_lag_secs: Gauge,
    snapshot_age_secs: Gauge,
    healed_reads: Gauge,
    repairs: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~33 s
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

fn media_histogram() -> Histogram {
    // 10 ms to ~164 s
    Histogram::new(exponential_buckets(0.01, 2.0, 15))
}

impl Metrics {
    fn new() -> Self {
        let mut r = Registry::with_prefix("pixelunion");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            unseal_attempts: Family::default(),
            sign_ins: Family::default(),
            firewall: Family::default(),
            store_errors: Family::default(),
            media_seconds: Family::new_with_constructor(media_histogram),
            tls_handshakes: Family::default(),
            resumable_completions: Family::default(),
            sealed: Gauge::default(),
            nodes_serving: Gauge::default(),
            jobs_ready: Family::default(),
            jobs_oldest_secs: Family::default(),
            jobs_dead: Family::default(),
            replication_backlog: Gauge::default(),
            replication_lag_secs: Gauge::default(),
            snapshot_age_secs: Gauge::default(),
            healed_reads: Gauge::default(),
            repairs: Gauge::default(),
            registry: Registry::default(),
        };
        r.register(
            "http_requests",
            "HTTP answers by route template, method and status",
            m.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "time to the answer's head by route template, method and status",
            m.latency.clone(),
        );
        r.register(
            "unseal_attempts",
            "unseal shares submitted: accepted, rejected, throttled",
            m.unseal_attempts.clone(),
        );
        r.register(
            "sign_ins",
            "sign-in attempts: ok, failed, throttled",
            m.sign_ins.clone(),
        );
        r.register(
            "firewall_requests",
            "requests the firewall blocked or flagged",
            m.firewall.clone(),
        );
        r.register(
            "store_errors",
            "object store operations that failed while serving",
            m.store_errors.clone(),
        );
        r.register(
            "media_processing_seconds",
            "media pipeline time per file by format and outcome",
            m.media_seconds.clone(),
        );
        r.register(
            "tls_handshakes",
            "TLS handshakes: ok or failed",
            m.tls_handshakes.clone(),
        );
        r.register(
            "resumable_uploads_completed",
            "resumable uploads completed, by how: adopted (one part kept as it is), parts (several parts kept as they are, hashed piece by piece as they arrived), parts-rehashed (kept as they are, hashed by reading them back), carried (assembled, hashed piece by piece as it arrived), rehashed (assembled and hashed again), duplicate (known by the hash carried: nothing written again)",
            m.resumable_completions.clone(),
        );
        r.register(
            "sealed",
            "1 while the node holds no key (every data route answers 503)",
            m.sealed.clone(),
        );
        r.register(
            "nodes_serving",
            "nodes serving together, as this node last read the catalog (the request rates are shared among them)",
            m.nodes_serving.clone(),
        );
        r.register(
            "jobs_ready",
            "jobs waiting to run, by kind",
            m.jobs_ready.clone(),
        );
        r.register(
            "jobs_oldest_age_seconds",
            "how long the oldest waiting job of each kind has been due",
            m.jobs_oldest_secs.clone(),
        );
        r.register(
            "jobs_dead",
            "jobs that failed for good, by kind (an operator must look)",
            m.jobs_dead.clone(),
        );
        r.register(
            "replication_backlog",
            "blobs waiting to be copied to the backup store",
            m.replication_backlog.clone(),
        );
        r.register(
            "replication_lag_seconds",
            "how long the oldest waiting copy has waited",
            m.replication_lag_secs.clone(),
        );
        r.register(
            "last_snapshot_age_seconds",
            "age of the newest complete catalog snapshot in the backup store (-1: none)",
            m.snapshot_age_secs.clone(),
        );
        r.register(
            "healed_reads",
            "primary reads served from the backup copy since start",
            m.healed_reads.clone(),
        );
        r.register(
            "self_heal_repairs",
            "primary objects rewritten from the backup copy since start",
            m.repairs.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// One HTTP answer.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        // a method a client made up is not a label value
        const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let method = METHODS
            .iter()
            .find(|m| **m == method)
            .copied()
            .unwrap_or("other");
        let labels = RouteLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// One unseal share submitted.
    pub fn unseal(&self, outcome: &'static str) {
        self.unseal_attempts
            .get_or_create(&Outcome { outcome })
            .inc();
    }

    /// One sign-in attempt.
    pub fn sign_in(&self, outcome: &'static str) {
        self.sign_ins.get_or_create(&Outcome { outcome }).inc();
    }

    /// One request blocked (`true`) or flagged by the firewall.
    pub fn firewall(&self, blocked: bool) {
        let outcome = if blocked { "blocked" } else { "flagged" };
        self.firewall.get_or_create(&Outcome { outcome }).inc();
    }

    /// One failed store operation while serving.
    pub fn store_error(&self, store: &'static str) {
        self.store_errors
            .get_or_create(&StoreLabels { store })
            .inc();
    }

    /// One file through the media pipeline.
    pub fn media(&self, mime: &str, ok: bool, took: Duration) {
        let labels = FormatLabels {
            format: format_label(mime).to_string(),
            outcome: if ok { "ready" } else { "failed" },
        };
        self.media_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// One resumable upload completed (its asset recorded, or found to
    /// exist): `adopted`, `parts`, `parts-rehashed`, `carried`, `rehashed` or
    /// `duplicate` (see the metric's help). One that failed is not counted.
    pub fn resumable_completed(&self, outcome: &'static str) {
        self.resumable_completions
            .get_or_create(&Outcome { outcome })
            .inc();
    }

    /// One TLS handshake.
    pub fn tls_handshake(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.tls_handshakes
            .get_or_create(&Outcome { outcome })
            .inc();
    }
}

/// A media type as a label: only the types the library stores, else `other`
/// (a label never takes a value a client chose).
fn format_label(mime: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
        "image/tiff",
        "image/x-adobe-dng",
        "image/x-canon-cr2",
        "image/x-canon-cr3",
        "image/x-nikon-nef",
        "image/x-sony-arw",
        "image/x-fujifilm-raf",
        "image/x-olympus-orf",
        "image/x-panasonic-rw2",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-matroska",
        "video/3gpp",
        "video/x-m4v",
    ];
    KNOWN
        .iter()
        .find(|k| **k == mime)
        .copied()
        .unwrap_or("other")
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn get() -> &'static Metrics {
    &METRICS
}

/// Reads the gauges and renders every metric in the text format.
pub async fn render(state: &AppState) -> Result<String, std::fmt::Error> {
    let m = get();
    let sealed = state.keys().is_sealed();
    m.sealed.set(i64::from(sealed));
    m.nodes_serving.set(i64::from(state.limits().nodes()));
    let now = crate::clock::now_ms();
    let c = state.catalog();
    match (c.job_counts(now).await, c.oldest_due_jobs(now).await) {
        (Ok(counts), Ok(oldest)) => {
            // every kind seen is set each time (a drained queue reads 0)
            for f in [&m.jobs_ready, &m.jobs_dead, &m.jobs_oldest_secs] {
                f.clear();
            }
            for (kind, state, n) in counts {
                let l = JobLabels { kind };
                match state.as_str() {
                    "dead" => m.jobs_dead.get_or_create(&l).set(n),
                    "ready" => m.jobs_ready.get_or_create(&l).set(n),
                    _ => 0,
                };
            }
            for (kind, due) in oldest {
                m.jobs_oldest_secs
                    .get_or_create(&JobLabels { kind })
                    .set((now - due).max(0) / 1000);
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "metrics: the job queue could not be read");
        }
    }
    if !sealed {
        match crate::backup::status::status(state).await {
            Ok(b) => {
                m.replication_backlog.set(b.replication_queued);
                m.replication_lag_secs
                    .set(b.replication_lag_secs.unwrap_or(0));
                m.snapshot_age_secs
                    .set(b.last_snapshot_age_secs.unwrap_or(-1));
                m.healed_reads
                    .set(i64::try_from(b.healed_reads).unwrap_or(i64::MAX));
                m.repairs.set(i64::try_from(b.repairs).unwrap_or(i64::MAX));
            }
            Err(e) => tracing::warn!(error = %e, "metrics: the backup status could not be read"),
        }
    }
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &m.registry)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_templates_and_known_formats_only() -> Result<(), std::fmt::Error> {
        let m = Metrics::new();
        m.request("GET", "/api/v1/assets/{id}", 200, Duration::from_millis(3));
        m.media("image/jpeg", true, Duration::from_millis(40));
        m.media(
            "application/x-evil; name=secret.jpg",
            false,
            Duration::from_millis(1),
        );
        m.unseal("rejected");
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &m.registry)?;
        assert!(out.contains(
            r#"pixelunion_http_requests_total{method="GET",route="/api/v1/assets/{id}",status="200"} 1"#
        ), "{out}");
        assert!(out.contains("pixelunion_http_request_duration_seconds_bucket"));
        assert!(
            out.contains(r#"format="image/jpeg",outcome="ready""#),
            "{out}"
        );
        assert!(out.contains(r#"format="other",outcome="failed""#), "{out}");
        assert!(!out.contains("secret"), "{out}");
        assert!(
            out.contains(r#"pixelunion_unseal_attempts_total{outcome="rejected"} 1"#),
            "{out}"
        );
        Ok(())
    }
}
