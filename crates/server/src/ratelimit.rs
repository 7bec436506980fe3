//! Request rate limits (GCRA, through `governor`): a global cap and one per
//! client address, checked before anything else, and per account by kind of
//! request — JSON API calls, file reads (thumbnails, previews, originals),
//! uploads — checked where the account becomes known (`principal`). A
//! refusal says which limit and when to come back (`Retry-After`, and the
//! IETF `RateLimit`/`RateLimit-Policy` fields). Sign-in, MFA, unseal and
//! invitation throttles are separate (failures back off exponentially).
//!
//! Owns no HTTP types: the HTTP layer turns a [`Limited`] into a 429.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use crate::config::LimitsConfig;

/// What kind of request an account makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// a JSON API call (and pages)
    Api,
    /// reading a file: thumbnail, preview, original, playable copy
    Files,
    /// sending a file: an upload or a piece of a resumable one
    Upload,
}

impl Class {
    /// The name of the limit, as the `RateLimit` fields say it.
    pub fn name(self) -> &'static str {
        match self {
            Class::Api => "account-api",
            Class::Files => "account-files",
            Class::Upload => "account-upload",
        }
    }
}

/// A refusal: which limit, its policy, and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// the limit's name (`client`, `global`, `account-api`, …)
    pub name: &'static str,
    /// requests allowed in a burst
    pub burst: u32,
    /// requests per second sustained
    pub per_sec: u32,
    /// when the next request may come
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds to wait (at least 1), for `Retry-After`.
    pub fn retry_secs(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

struct Rule<L> {
    limiter: L,
    name: &'static str,
    /// what the configuration says (for the whole deployment)
    per_sec: u32,
    burst: u32,
}

/// The configured rate and burst, this node's share of them: `nodes`
/// nodes serving together each allow `1/nodes` (at least one request).
fn quota(per_sec: u32, burst: u32, nodes: u32) -> Quota {
    let nodes = nodes.max(1);
    let nz = |v: u32| NonZeroU32::new((v / nodes).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(nz(per_sec)).allow_burst(nz(burst.max(per_sec)))
}

fn keyed<K: Clone + std::hash::Hash + Eq>(
    name: &'static str,
    per_sec: u32,
    burst: u32,
    nodes: u32,
) -> Rule<DefaultKeyedRateLimiter<K>> {
    Rule {
        limiter: DefaultKeyedRateLimiter::keyed(quota(per_sec, burst, nodes)),
        name,
        per_sec,
        burst,
    }
}

/// The rate rules for a number of nodes.
struct Rules {
    nodes: u32,
    global: Rule<DefaultDirectRateLimiter>,
    client: Rule<DefaultKeyedRateLimiter<IpAddr>>,
    api: Rule<DefaultKeyedRateLimiter<String>>,
    files: Rule<DefaultKeyedRateLimiter<String>>,
    upload: Rule<DefaultKeyedRateLimiter<String>>,
}

impl Rules {
    fn new(c: &LimitsConfig, nodes: u32) -> Self {
        Rules {
            nodes,
            global: Rule {
                limiter: DefaultDirectRateLimiter::direct(quota(
                    c.global_per_sec,
                    c.global_burst,
                    nodes,
                )),
                name: "global",
                per_sec: c.global_per_sec,
                burst: c.global_burst,
            },
            client: keyed("client", c.client_per_sec, c.client_burst, nodes),
            api: keyed(
                "account-api",
                c.account_api_per_sec,
                c.account_api_burst,
                nodes,
            ),
            files: keyed(
                "account-files",
                c.account_files_per_sec,
                c.account_files_burst,
                nodes,
            ),
            upload: keyed(
                "account-upload",
                c.account_upload_per_sec,
                c.account_upload_burst,
                nodes,
            ),
        }
    }
}

/// Every limit of the process. With `limits.split_across_nodes`, the rates
/// are the deployment's: each of N serving nodes enforces 1/N of them (a
/// balancer spreading a client's requests over the nodes then lets through
/// what the configuration says, not N times it); the count of serving
/// nodes comes from the catalog ([`Limits::set_nodes`]).
pub struct Limits {
    config: LimitsConfig,
    uploads: std::sync::Arc<crate::concurrency::Counter<String>>,
    rules: std::sync::RwLock<std::sync::Arc<Rules>>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules = self.rules();
        f.debug_struct("Limits")
            .field("enabled", &self.config.enabled)
            .field("nodes", &rules.nodes)
            .field("clients", &rules.client.limiter.len())
            .finish_non_exhaustive()
    }
}

impl Limits {
    /// The limits `c` sets (for one node, until told otherwise).
    pub fn new(c: &LimitsConfig) -> Self {
        Limits {
            config: c.clone(),
            uploads: crate::concurrency::Counter::new(c.uploads_per_account),
            rules: std::sync::RwLock::new(std::sync::Arc::new(Rules::new(c, 1))),
        }
    }

    fn rules(&self) -> std::sync::Arc<Rules> {
        self.rules
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// `nodes` nodes serve together now: each enforces its share of the
    /// rates (when `split_across_nodes` is on). A change starts every
    /// bucket afresh; the same count changes nothing.
    pub fn set_nodes(&self, nodes: u32) {
        let nodes = if self.config.split_across_nodes {
            nodes.max(1)
        } else {
            1
        };
        if self.rules().nodes == nodes {
            return;
        }
        let rules = std::sync::Arc::new(Rules::new(&self.config, nodes));
        match self.rules.write() {
            Ok(mut r) => *r = rules,
            Err(e) => *e.into_inner() = rules,
        }
        tracing::info!(nodes, "request rate limits shared among the serving nodes");
    }

    /// How many nodes the rates are shared among.
    pub fn nodes(&self) -> u32 {
        self.rules().nodes
    }

    fn refuse<L>(rule: &Rule<L>, wait: Duration) -> Limited {
        Limited {
            name: rule.name,
            burst: rule.burst,
            per_sec: rule.per_sec,
            retry_after: wait,
        }
    }

    /// A request from `ip`: the global cap, then the client's own.
    pub fn check_client(&self, ip: IpAddr) -> Result<(), Limited> {
        if !self.config.enabled {
            return Ok(());
        }
        let rules = self.rules();
        let now = DefaultClock::default().now();
        rules
            .client
            .limiter
            .check_key(&ip)
            .map_err(|n| Self::refuse(&rules.client, n.wait_time_from(now)))?;
        rules
            .global
            .limiter
            .check()
            .map_err(|n| Self::refuse(&rules.global, n.wait_time_from(now)))
    }

    /// A request of `class` by account `user`.
    pub fn check_account(&self, user: &str, class: Class) -> Result<(), Limited> {
        if !self.config.enabled {
            return Ok(());
        }
        let rules = self.rules();
        let rule = match class {
            Class::Api => &rules.api,
            Class::Files => &rules.files,
            Class::Upload => &rules.upload,
        };
        let now = DefaultClock::default().now();
        rule.limiter
            .check_key(&user.to_string())
            .map_err(|n| Self::refuse(rule, n.wait_time_from(now)))
    }

    /// A place for one more upload in progress of account `user`, held
    /// until dropped (`None` when limits are off); `Err(max)` when the
    /// account already sends `max` at once.
    pub fn begin_upload(
        &self,
        user: &str,
    ) -> Result<Option<crate::concurrency::Slot<String>>, u32> {
        if !self.config.enabled {
            return Ok(None);
        }
        self.uploads
            .try_acquire(user.to_string())
            .map(Some)
            .ok_or(self.uploads.max())
    }

    /// Forgets clients and accounts whose limits are full again (memory
    /// stays proportional to recent callers).
    pub fn sweep(&self) {
        let rules = self.rules();
        rules.client.limiter.retain_recent();
        rules.client.limiter.shrink_to_fit();
        for r in [&rules.api, &rules.files, &rules.upload] {
            r.limiter.retain_recent();
            r.limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LimitsConfig {
        LimitsConfig {
            client_per_sec: 5,
            client_burst: 10,
            account_api_per_sec: 2,
            account_api_burst: 4,
            ..LimitsConfig::default()
        }
    }

    #[test]
    fn a_burst_passes_then_the_limit_answers_with_a_wait() {
        let l = Limits::new(&config());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for i in 0..10 {
            assert!(l.check_client(ip).is_ok(), "request {i} of the burst");
        }
        let refused = l.check_client(ip).unwrap_err();
        assert_eq!(
            (refused.name, refused.burst, refused.per_sec),
            ("client", 10, 5)
        );
        assert!(
            refused.retry_after <= Duration::from_millis(200),
            "{refused:?}"
        );
        assert_eq!(refused.retry_secs(), 1);
        // another client is not affected
        assert!(l.check_client("192.0.2.8".parse().unwrap()).is_ok());
    }

    #[test]
    fn accounts_are_limited_per_kind_of_request() {
        let l = Limits::new(&config());
        for _ in 0..4 {
            l.check_account("ann", Class::Api).unwrap();
        }
        let refused = l.check_account("ann", Class::Api).unwrap_err();
        assert_eq!(refused.name, "account-api");
        assert!(
            l.check_account("ann", Class::Files).is_ok(),
            "file reads have their own limit"
        );
        assert!(
            l.check_account("bob", Class::Api).is_ok(),
            "and so has every account"
        );
        let off = Limits::new(&LimitsConfig {
            enabled: false,
            ..config()
        });
        for _ in 0..100 {
            off.check_account("ann", Class::Api).unwrap();
        }
        l.sweep();
    }

    #[test]
    fn serving_nodes_share_the_rates() {
        let l = Limits::new(&config());
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        l.set_nodes(2);
        assert_eq!(l.nodes(), 2);
        for i in 0..5 {
            assert!(l.check_client(ip).is_ok(), "request {i}: half the burst");
        }
        let refused = l.check_client(ip).unwrap_err();
        assert_eq!(
            (refused.burst, refused.per_sec),
            (10, 5),
            "the answer names the deployment's limit"
        );
        l.set_nodes(1);
        for i in 0..10 {
            assert!(l.check_client(ip).is_ok(), "request {i}: one node again");
        }
        let alone = Limits::new(&LimitsConfig {
            split_across_nodes: false,
            ..config()
        });
        alone.set_nodes(4);
        assert_eq!(alone.nodes(), 1, "not split when told so");
    }

    #[test]
    fn uploads_at_once_are_limited_per_account() {
        let l = Limits::new(&LimitsConfig {
            uploads_per_account: 2,
            ..config()
        });
        let a = l.begin_upload("ann").unwrap();
        let _b = l.begin_upload("ann").unwrap();
        assert_eq!(l.begin_upload("ann").unwrap_err(), 2);
        assert!(l.begin_upload("bob").is_ok());
        drop(a);
        assert!(
            l.begin_upload("ann").is_ok(),
            "a finished upload frees its place"
        );
    }
}
