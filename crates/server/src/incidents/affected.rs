//! Which accounts an incident touches: those that signed in (audit trail)
//! or hold sessions from an address range in a time window, the owners of a
//! set of stored objects, the holder of a token or session. The answer is
//! account ids and the reason each was found (addresses are shown to the
//! security role: they are what the query is about); it can be recorded on
//! the incident for the notifications.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{Error, Result, step};
use crate::AppState;
use crate::audit::{Event, record};
use crate::clock::now_secs;
use crate::fields::{self, Column};

/// What to look for (at least one of `network`, `objects`, `credential`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Query {
    /// an address range, `203.0.113.0/24` or `2001:db8::/32` (a bare address is /32 or /128)
    pub network: Option<String>,
    /// window start (unix s; default: the beginning)
    pub from: Option<i64>,
    /// window end (unix s; default: now)
    pub until: Option<i64>,
    /// stored object names (blobs) whose owners are wanted
    pub objects: Vec<String>,
    /// an API token's or session's id
    pub credential: Option<String>,
    /// record the accounts found on the incident (for the notifications)
    pub record: bool,
}

/// One account found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Affected {
    /// account id
    pub user_id: String,
    /// why it was found
    pub reasons: Vec<String>,
}

/// A parsed address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `addr/prefix` or a bare address.
    pub fn parse(s: &str) -> Option<Network> {
        let (a, p) = s
            .trim()
            .split_once('/')
            .map_or((s.trim(), None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Network { addr, prefix })
    }

    /// Whether `ip` lies in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let m = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & m == u32::from(ip) & m
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & m == u128::from(ip) & m
            }
            _ => false,
        }
    }
}

/// The address at the start of a stored "address · user agent".
fn address_of(client: &str) -> Option<IpAddr> {
    client.split(" · ").next()?.trim().parse().ok()
}

/// Runs the query for incident `id`.
pub async fn find(state: &AppState, actor: &str, id: &str, q: Query) -> Result<Vec<Affected>> {
    let c = state.catalog();
    c.incident(id).await?.ok_or(Error::NotFound)?;
    let network = match q.network.as_deref() {
        Some(n) => Some(Network::parse(n).ok_or_else(|| {
            Error::Invalid(
                "network is an address or address/prefix (203.0.113.0/24, 2001:db8::/32)".into(),
            )
        })?),
        None => None,
    };
    if network.is_none() && q.objects.is_empty() && q.credential.is_none() {
        return Err(Error::Invalid(
            "give a network, objects or a credential to look for".into(),
        ));
    }
    if q.objects.len() > 10_000 {
        return Err(Error::Invalid("at most 10000 objects per query".into()));
    }
    let (from, until) = (q.from.unwrap_or(0), q.until.unwrap_or_else(now_secs));
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(net) = network {
        // Sign-ins on the trail.
        let mut after = 0;
        'pages: loop {
            let rows = c.audit_since(from, after, 1000).await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for r in &rows {
                if r.at > until {
                    break 'pages;
                }
                if r.action != "login" || r.outcome != "success" {
                    continue;
                }
                let (Some(user), Some(client)) =
                    (r.target.as_deref(), crate::audit::client_of(state, r))
                else {
                    continue;
                };
                if let Some(ip) = address_of(&client).filter(|ip| net.contains(*ip)) {
                    found.entry(user.to_string()).or_default().push(format!(
                        "signed in from {ip} at {}",
                        crate::audit::export::rfc3339(r.at)
                    ));
                }
            }
        }
        // Sessions used in the window.
        let mut users: BTreeMap<String, Option<std::sync::Arc<pixelunion_vault::DataKey>>> =
            BTreeMap::new();
        for (user, session, client) in c.sessions_active_since(from).await? {
            let Some(ct) = client else { continue };
            if !users.contains_key(&user) {
                let key = match c.user_by_id(&user).await? {
                    Some(u) => state.keys().user_key(&u).ok(),
                    None => None,
                };
                users.insert(user.clone(), key);
            }
            let Some(Some(key)) = users.get(&user) else {
                continue;
            };
            let text = fields::open_text(key, Column::SessionClient, &user, &session, Some(&ct));
            if let Some(ip) = text
                .as_deref()
                .and_then(address_of)
                .filter(|ip| net.contains(*ip))
            {
                found
                    .entry(user)
                    .or_default()
                    .push(format!("has a session from {ip}"));
            }
        }
    }
    if !q.objects.is_empty() {
        for owner in c.owners_of_blobs(&q.objects).await? {
            found
                .entry(owner)
                .or_default()
                .push("owns one of the objects".into());
        }
    }
    if let Some(cred) = q.credential.as_deref()
        && let Some(owner) = c.owner_of_credential(cred).await?
    {
        found
            .entry(owner)
            .or_default()
            .push("holds the credential".into());
    }
    let out: Vec<Affected> = found
        .into_iter()
        .map(|(user_id, mut reasons)| {
            reasons.dedup();
            Affected { user_id, reasons }
        })
        .collect();
    if q.record {
        super::required(state, actor, "incident.affected.record", id).await?;
        let ids: Vec<String> = out.iter().map(|a| a.user_id.clone()).collect();
        c.add_incident_affected(id, &ids).await?;
        step(
            state,
            id,
            Some(actor),
            "affected",
            Some(&format!("{} accounts recorded as affected", ids.len())),
        )
        .await?;
    }
    record(
        state,
        Event::new(Some(actor), "incident.affected.query", Some(id), "success"),
    )
    .await;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let n = Network::parse("203.0.113.0/24").expect("v4");
        assert!(n.contains("203.0.113.77".parse().expect("ip")));
        assert!(!n.contains("203.0.114.1".parse().expect("ip")));
        assert!(!n.contains("::1".parse().expect("ip")));
        let one = Network::parse("127.0.0.1").expect("bare");
        assert!(one.contains("127.0.0.1".parse().expect("ip")));
        assert!(!one.contains("127.0.0.2".parse().expect("ip")));
        let all = Network::parse("0.0.0.0/0").expect("all");
        assert!(all.contains("8.8.8.8".parse().expect("ip")));
        let v6 = Network::parse("2001:db8::/32").expect("v6");
        assert!(v6.contains("2001:db8:1::5".parse().expect("ip")));
        assert!(!v6.contains("2001:db9::5".parse().expect("ip")));
        assert!(
            Network::parse("::/0")
                .expect("all v6")
                .contains("::1".parse().expect("ip"))
        );
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0/8", "x/1"] {
            assert!(Network::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(address_of("192.0.2.1 · curl/8"), "192.0.2.1".parse().ok());
    }
}
