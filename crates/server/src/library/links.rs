//! Public links: an owner opens an album (the link follows it) or a
//! selection of their own items to people without an account.
//!
//! - The token is 192 random bits (39 lower-case base32 characters). Only its
//!   SHA-256 is looked up; it is also kept under the owner's key so that the
//!   owner can copy the link again. It travels in the URL's fragment and a
//!   request body, never in a request line, so no log ever holds it.
//! - Opening a link (token, and the password if it has one) gives a link
//!   session: a cookie scoped to that link's paths, MACed with the keyring
//!   (link id, end time, password hash). Every request re-reads the link: a
//!   revoked, expired or re-passworded link ends its sessions at once.
//! - A wrong token, a wrong password, an expired or revoked link all answer
//!   the same "not found"; failures are throttled per client address and
//!   per link (the sign-in throttle).
//! - By default a link serves no metadata: items carry no name, time or
//!   place, renditions are re-encoded, and originals are served without
//!   EXIF/XMP/IPTC or video metadata boxes (other formats: the preview).

use pixelunion_catalog::{AssetRow, LinkRow, UserRow};
use serde::Serialize;
use zeroize::Zeroizing;

use super::{Error, Result};

pub use super::link_files::{LinkFile, original, playback, rendition};
use crate::AppState;
use crate::accounts::throttle;
use crate::clock::now_ms;
use crate::fields::{self, Column};

/// Random bytes of a token (192 bits).
const TOKEN_BYTES: usize = 24;
/// Characters of a token (lower-case base32 of [`TOKEN_BYTES`]).
const TOKEN_CHARS: usize = 39;
/// How long an opened link stays open in a browser (ms).
pub const SESSION_MS: i64 = 12 * 3600 * 1000;
/// Shortest and longest link password (characters).
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=200;
/// Most items a selection link may name.
pub const MAX_ITEMS: usize = 500;
/// Blind-index domain of link session MACs.
const SESSION_DOMAIN: &str = "link-session";

/// A new link's settings.
#[derive(Debug, Clone, Default)]
pub struct NewLink {
    /// the album it opens
    pub album_id: Option<String>,
    /// or the items it opens
    pub asset_ids: Vec<String>,
    /// end (unix ms)
    pub expires_at: Option<i64>,
    /// a password to ask for
    pub password: Option<Zeroizing<String>>,
    /// originals may be downloaded
    pub allow_download: bool,
    /// serve names, times, places and file metadata
    pub keep_metadata: bool,
}

/// A link as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// link id
    pub id: String,
    /// the secret token: the link is `/s#TOKEN`
    pub token: Option<String>,
    /// the album it opens (else a selection)
    pub album_id: Option<String>,
    /// items it shows now
    pub item_count: i64,
    /// end (unix ms)
    pub expires_at: Option<i64>,
    /// asks for a password
    pub has_password: bool,
    /// originals may be downloaded
    pub allow_download: bool,
    /// names, times, places and file metadata are served
    pub keep_metadata: bool,
    /// times it was opened
    pub views: i64,
    /// made (unix ms)
    pub created_at: i64,
    /// last opened (unix ms)
    pub last_viewed_at: Option<i64>,
}

async fn view(state: &AppState, user: &UserRow, l: &LinkRow) -> Result<LinkView> {
    let count = state.catalog().link_item_count(&l.id).await?;
    view_with(state, user, l, count)
}

/// The owner's view of link `l`, which shows `item_count` items.
fn view_with(state: &AppState, user: &UserRow, l: &LinkRow, item_count: i64) -> Result<LinkView> {
    let key = state.keys().user_key(user)?;
    Ok(LinkView {
        id: l.id.clone(),
        token: fields::open_text(&key, Column::LinkToken, &user.id, &l.id, Some(&l.token)),
        album_id: l.album_id.clone(),
        item_count,
        expires_at: l.expires_at,
        has_password: l.password_hash.is_some(),
        allow_download: l.allow_download,
        keep_metadata: l.keep_metadata,
        views: l.views,
        created_at: l.created_at,
        last_viewed_at: l.last_viewed_at,
    })
}

fn token_hash(token: &str) -> Vec<u8> {
    pixelunion_vault::sha256(token.as_bytes()).to_vec()
}

/// A fresh link token: [`TOKEN_BYTES`] random bytes in lower-case base32.
/// It reaches the server only as `token` in `POST /public/open`, which the
/// firewall's default exclusions leave unmatched (random letters and digits
/// spell SQL such as `7or4` by chance).
pub(crate) fn new_token() -> Result<Zeroizing<String>> {
    let raw: [u8; TOKEN_BYTES] = pixelunion_vault::random_array()?;
    Ok(Zeroizing::new(
        data_encoding::BASE32_NOPAD.encode(&raw).to_lowercase(),
    ))
}

/// Makes a link to one of the caller's albums or to some of their items.
pub async fn create(state: &AppState, user: &UserRow, new: NewLink) -> Result<LinkView> {
    // Both, or neither.
    if new.album_id.is_some() != new.asset_ids.is_empty() {
        return Err(Error::BadLink("name either an album or some items"));
    }
    if new.asset_ids.len() > MAX_ITEMS {
        return Err(Error::TooMany {
            max: MAX_ITEMS,
            what: "ids",
        });
    }
    let now = now_ms();
    if new.expires_at.is_some_and(|e| e <= now) {
        return Err(Error::BadLink("the end must be in the future"));
    }
    let password_hash = match new.password {
        Some(p) if !PASSWORD_CHARS.contains(&p.chars().count()) => {
            return Err(Error::BadLink("a link password has 8 to 200 characters"));
        }
        Some(p) => Some(
            state
                .accounts()
                .hash(p)
                .await
                .map_err(|_| Error::Corrupt("the password could not be hashed"))?,
        ),
        None => None,
    };
    let token = new_token()?;
    let key = state.keys().user_key(user)?;
    let id = uuid::Uuid::new_v4().to_string();
    let row = LinkRow {
        token_hash: token_hash(&token),
        token: fields::seal_text(&key, Column::LinkToken, &user.id, &id, &token)?,
        id,
        owner_id: user.id.clone(),
        album_id: new.album_id.clone(),
        password_hash,
        allow_download: new.allow_download,
        keep_metadata: new.keep_metadata,
        expires_at: new.expires_at,
        views: 0,
        created_at: now,
        last_viewed_at: None,
    };
    if !state.catalog().create_link(&row, &new.asset_ids).await? {
        return Err(if new.album_id.is_some() {
            Error::NotFound
        } else {
            Error::NotYourAsset
        });
    }
    crate::audit::record(
        state,
        crate::audit::Event::new(Some(&user.id), "link.create", Some(&row.id), "success"),
    )
    .await;
    view(state, user, &row).await
}

/// The caller's links, newest first.
pub async fn list(state: &AppState, user: &UserRow) -> Result<Vec<LinkView>> {
    let counts: std::collections::HashMap<String, i64> = state
        .catalog()
        .link_item_counts(&user.id)
        .await?
        .into_iter()
        .collect();
    state
        .catalog()
        .links(&user.id)
        .await?
        .iter()
        .map(|l| view_with(state, user, l, counts.get(&l.id).copied().unwrap_or(0)))
        .collect()
}

/// Revokes the caller's link `id` at once.
pub async fn revoke(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    if !state.catalog().delete_link(&user.id, id).await? {
        return Err(Error::NotFound);
    }
    crate::audit::record(
        state,
        crate::audit::Event::new(Some(&user.id), "link.revoke", Some(id), "success"),
    )
    .await;
    Ok(())
}

/// Why a link could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Wrong token or password, expired, revoked: all the same.
    #[error("no such link")]
    NotFound,
    /// The link asks for its password.
    #[error("this link asks for its password")]
    PasswordNeeded,
    /// Too many failures from this address or for this link.
    #[error("too many attempts; wait {0} s")]
    Throttled(u64),
    /// Something else failed.
    #[error(transparent)]
    Library(#[from] Error),
}

/// An opened link: its row, and the session cookie's value and lifetime.
#[derive(Debug, Clone)]
pub struct Opened {
    /// the link
    pub link: LinkRow,
    /// the session's value (`END.MAC`)
    pub session: String,
    /// seconds it lasts
    pub max_age: i64,
}

fn live(l: &LinkRow, now: i64) -> bool {
    l.expires_at.is_none_or(|e| e > now)
}

/// The session MAC's input: link id, end, password hash.
fn session_input(l: &LinkRow, end: i64) -> Vec<u8> {
    let mut v = Vec::new();
    for part in [
        l.id.as_bytes(),
        &end.to_be_bytes(),
        l.password_hash.as_deref().unwrap_or("").as_bytes(),
    ] {
        v.extend_from_slice(&(part.len() as u64).to_be_bytes());
        v.extend_from_slice(part);
    }
    v
}

fn session_for(state: &AppState, l: &LinkRow, end: i64) -> Result<String> {
    let mac = state
        .keys()
        .with_keyring(|k| k.blind_index(SESSION_DOMAIN, &session_input(l, end)))
        .ok_or(Error::Sealed)??;
    Ok(format!("{end}.{}", encode_mac(&mac.to_bytes())))
}

/// A session cookie's MAC as text: hexadecimal. Base32 spelt SQL between
/// digits often enough (`…7or4…`) for the firewall's rule 942211 to refuse
/// about one cookie in 500, shutting a visitor out of an opened link.
pub(crate) fn encode_mac(mac: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(mac)
}

/// Opens the link with `token` (and `password`) for a client at `ip`.
pub async fn open(
    state: &AppState,
    token: &str,
    password: Option<Zeroizing<String>>,
    ip: std::net::IpAddr,
) -> std::result::Result<Opened, OpenError> {
    let by_ip = format!("link-ip:{ip}");
    if let Some(s) = throttle::retry_after(state, &[&by_ip]).await {
        return Err(OpenError::Throttled(s));
    }
    let now = now_ms();
    let found = if token.len() == TOKEN_CHARS {
        state
            .catalog()
            .link_by_token_hash(&token_hash(token))
            .await
            .map_err(Error::from)?
    } else {
        None
    };
    let Some(link) = found.filter(|l| live(l, now)) else {
        throttle::failure(state, &[&by_ip]).await;
        return Err(OpenError::NotFound);
    };
    let by_link = format!("link:{}", link.id);
    if let Some(s) = throttle::retry_after(state, &[&by_link]).await {
        return Err(OpenError::Throttled(s));
    }
    if let Some(stored) = &link.password_hash {
        let Some(p) = password else {
            return Err(OpenError::PasswordNeeded);
        };
        let ok = state
            .accounts()
            .verify(p, Some(stored.clone()))
            .await
            .map_err(|_| Error::Corrupt("the password could not be checked"))?;
        if ok == pixelunion_auth::password::Verified::No {
            throttle::failure(state, &[&by_ip, &by_link]).await;
            return Err(OpenError::NotFound);
        }
    }
    // The link's counter only: a success with one's own link must not
    // wipe the failures of an address guessing at others.
    throttle::success(state, &[&by_link]).await;
    state
        .catalog()
        .count_link_view(&link.id, now)
        .await
        .map_err(Error::from)?;
    let end = link
        .expires_at
        .map_or(now + SESSION_MS, |e| e.min(now + SESSION_MS));
    Ok(Opened {
        session: session_for(state, &link, end)?,
        max_age: (end - now) / 1000,
        link,
    })
}

/// The link `id` a session cookie value opens, if it still does.
pub async fn session(state: &AppState, id: &str, value: &str) -> Result<LinkRow> {
    let (end, mac) = value.split_once('.').ok_or(Error::NotFound)?;
    let end: i64 = end.parse().map_err(|_| Error::NotFound)?;
    let mac = data_encoding::HEXLOWER
        .decode(mac.as_bytes())
        .map_err(|_| Error::NotFound)?;
    let now = now_ms();
    if end <= now {
        return Err(Error::NotFound);
    }
    let link = state
        .catalog()
        .link_by_id(id)
        .await?
        .filter(|l| live(l, now))
        .ok_or(Error::NotFound)?;
    let candidates = state
        .keys()
        .with_keyring(|k| k.blind_index_candidates(SESSION_DOMAIN, &session_input(&link, end)))
        .ok_or(Error::Sealed)??;
    let ok = candidates
        .iter()
        .any(|c| pixelunion_vault::ct_eq(&c.to_bytes(), &mac));
    if ok { Ok(link) } else { Err(Error::NotFound) }
}

/// What a link's page shows of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkInfo {
    /// link id (the paths of its items)
    pub id: String,
    /// the album's name (only when the link keeps metadata)
    pub title: Option<String>,
    /// the owner's display name (only when the link keeps metadata)
    pub owner_name: Option<String>,
    /// items it shows
    pub item_count: i64,
    /// originals may be downloaded
    pub allow_download: bool,
    /// names, times and places are shown
    pub keep_metadata: bool,
    /// end (unix ms)
    pub expires_at: Option<i64>,
}

/// One item of a link.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkItem {
    /// item id
    pub id: String,
    /// photo or video
    #[schema(value_type = String)]
    pub kind: pixelunion_catalog::AssetKind,
    /// width in pixels, once known
    pub width: Option<i32>,
    /// height in pixels, once known
    pub height: Option<i32>,
    /// the file name (only when the link keeps metadata)
    pub file_name: Option<String>,
    /// capture time, unix ms (only when the link keeps metadata)
    pub taken_at: Option<i64>,
    /// caption (always: the owner wrote it to be read)
    pub caption: Option<String>,
}

/// A page of a link's items.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkPage {
    /// newest first
    pub items: Vec<LinkItem>,
    /// pass as `cursor` for the next page
    pub next_cursor: Option<String>,
}

async fn owner_of(
    state: &AppState,
    link: &LinkRow,
) -> Result<(UserRow, std::sync::Arc<pixelunion_vault::DataKey>)> {
    let owner = state
        .catalog()
        .user_by_id(&link.owner_id)
        .await?
        .ok_or(Error::NotFound)?;
    let key = state.keys().user_key(&owner)?;
    Ok((owner, key))
}

/// What the link's page shows of it.
pub async fn info(state: &AppState, link: &LinkRow) -> Result<LinkInfo> {
    let (owner, key) = owner_of(state, link).await?;
    let (title, owner_name) = if link.keep_metadata {
        let title = match &link.album_id {
            Some(a) => state
                .catalog()
                .album(&link.owner_id, a)
                .await?
                .and_then(|al| {
                    fields::open_text(
                        &key,
                        Column::AlbumName,
                        &al.owner_id,
                        &al.id,
                        Some(&al.name),
                    )
                }),
            None => None,
        };
        (
            title,
            Some(super::sharing::display_name(state, &owner, &key).await?),
        )
    } else {
        (None, None)
    };
    Ok(LinkInfo {
        id: link.id.clone(),
        title,
        owner_name,
        item_count: state.catalog().link_item_count(&link.id).await?,
        allow_download: link.allow_download,
        keep_metadata: link.keep_metadata,
        expires_at: link.expires_at,
    })
}

/// A page of the link's items after `cursor`.
pub async fn items(
    state: &AppState,
    link: &LinkRow,
    cursor: Option<(i64, String)>,
    limit: i64,
) -> Result<LinkPage> {
    let rows = state
        .catalog()
        .link_items(
            &link.id,
            cursor.as_ref().map(|(t, i)| (*t, i.as_str())),
            limit,
        )
        .await?;
    let (_, key) = owner_of(state, link).await?;
    Ok(LinkPage {
        items: rows.iter().map(|a| item(&key, link, a)).collect(),
        next_cursor: super::timeline::next_cursor(&rows, limit),
    })
}

fn item(key: &pixelunion_vault::DataKey, link: &LinkRow, a: &AssetRow) -> LinkItem {
    let open = |col, ct: Option<&Vec<u8>>| {
        fields::open_text(key, col, &a.owner_id, &a.id, ct.map(Vec::as_slice))
    };
    LinkItem {
        id: a.id.clone(),
        kind: a.kind,
        width: a.width,
        height: a.height,
        file_name: link
            .keep_metadata
            .then(|| open(Column::AssetFileName, a.file_name.as_ref()))
            .flatten(),
        taken_at: if link.keep_metadata { a.taken_at } else { None },
        caption: open(Column::AssetCaption, a.caption.as_ref()),
    }
}

/// Item `asset` of the link, with its owner for reading its files.
pub async fn item_row(
    state: &AppState,
    link: &LinkRow,
    asset: &str,
) -> Result<(AssetRow, UserRow)> {
    let row = state
        .catalog()
        .link_item(&link.id, asset)
        .await?
        .ok_or(Error::NotFound)?;
    let (owner, _) = owner_of(state, link).await?;
    Ok((row, owner))
}
