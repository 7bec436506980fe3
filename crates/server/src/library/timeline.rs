//! Reading the library: keyset pages newest first with filters, the
//! per-month counts for a date scrubber (from trigger-kept counters, never a
//! GROUP BY over the assets), and "which of these files do I have".

use std::collections::{BTreeMap, HashMap};

use pixelunion_catalog::{AlbumAccess, AssetRow, MonthFacets, TimelineFilter, UserRow};
use serde::Serialize;

use super::assets::AssetView;
use super::{Error, Result, ingest, sharing};
use crate::AppState;

/// Most hashes one existence check may name.
pub const MAX_HASHES: usize = 1000;

/// One timeline page.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// the items, newest first
    pub items: Vec<AssetView>,
    /// pass as `cursor` for the next page; `null` on the last one
    pub next_cursor: Option<String>,
}

/// A page of the caller's assets after `cursor` (the previous page's
/// `next_cursor`) that pass `filter`. An album filter must name one of the
/// caller's albums.
pub async fn page(
    state: &AppState,
    user: &UserRow,
    filter: &TimelineFilter,
    cursor: Option<(i64, String)>,
    limit: i64,
) -> Result<Page> {
    let key = state.keys().user_key(user)?;
    if let Some(album) = &filter.album {
        let (_, access) = sharing::album_for(state, user, album).await?;
        // The album's items, whoever added them; other filters narrow the
        // caller's own items in it.
        let only_kind = TimelineFilter {
            kind: filter.kind,
            album: filter.album.clone(),
            ..TimelineFilter::default()
        };
        if *filter == only_kind || access != AlbumAccess::Owner && !filter.trashed {
            let rows = state
                .catalog()
                .album_items(
                    album,
                    filter.kind,
                    cursor.as_ref().map(|(t, i)| (*t, i.as_str())),
                    limit,
                )
                .await?;
            let items = sharing::Owners::default()
                .views(state, user, &key, &rows)
                .await?;
            return Ok(Page {
                next_cursor: next_cursor(&rows, limit),
                items,
            });
        }
    }
    let rows = state
        .catalog()
        .timeline(
            &user.id,
            filter,
            cursor.as_ref().map(|(t, i)| (*t, i.as_str())),
            limit,
        )
        .await?;
    Ok(Page {
        items: rows.iter().map(|r| AssetView::new(&key, r)).collect(),
        next_cursor: next_cursor(&rows, limit),
    })
}

/// The cursor after a full page (`None` after a short one: the last).
pub(crate) fn next_cursor(rows: &[AssetRow], limit: i64) -> Option<String> {
    (i64::try_from(rows.len()).ok() == Some(limit))
        .then(|| {
            rows.last()
                .map(|a| pixelunion_wire::encode_cursor(a.sort_at, &a.id))
        })
        .flatten()
}

/// Items in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM` (UTC)
    pub month: String,
    /// items outside the trash
    pub count: i64,
}

/// Items per month (UTC) outside the trash, newest first.
pub async fn months(
    state: &AppState,
    user: &UserRow,
    facets: &MonthFacets,
) -> Result<Vec<MonthCount>> {
    let rows = state.catalog().month_counts(&user.id, facets).await?;
    Ok(rows
        .iter()
        .map(|(m, n)| MonthCount {
            month: format!("{:04}-{:02}", m / 100, m % 100),
            count: *n,
        })
        .collect())
}

/// Of these SHA-256 digests (hex), those whose files the caller has:
/// digest (lower-case) → asset id.
pub async fn existing(
    state: &AppState,
    user: &UserRow,
    sha256: &[String],
) -> Result<BTreeMap<String, String>> {
    if sha256.len() > MAX_HASHES {
        return Err(Error::TooMany {
            max: MAX_HASHES,
            what: "hashes",
        });
    }
    let key = state.keys().user_key(user)?;
    let mut by_index = HashMap::new();
    for h in sha256 {
        let digest: [u8; 32] = hex::decode(h)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or(Error::BadHash)?;
        by_index.insert(
            ingest::content_index(&key, &digest)?,
            h.to_ascii_lowercase(),
        );
    }
    let indexes: Vec<Vec<u8>> = by_index.keys().cloned().collect();
    let found = state
        .catalog()
        .assets_with_content(&user.id, &indexes)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(idx, id)| by_index.get(&idx).map(|h| (h.clone(), id)))
        .collect())
}

/// Rows read per catalog page when a whole timeline is walked.
const PAGE: i64 = 500;

/// `owner`'s timeline (`filter`), page after page.
pub(crate) struct Pages<'a> {
    state: &'a AppState,
    owner: &'a str,
    filter: TimelineFilter,
    cursor: Option<(i64, String)>,
    done: bool,
}

impl<'a> Pages<'a> {
    pub(crate) fn new(state: &'a AppState, owner: &'a str, filter: TimelineFilter) -> Self {
        Pages {
            state,
            owner,
            filter,
            cursor: None,
            done: false,
        }
    }

    pub(crate) async fn next(&mut self) -> Result<Option<Vec<AssetRow>>> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .state
            .catalog()
            .timeline(
                self.owner,
                &self.filter,
                self.cursor.as_ref().map(|(t, id)| (*t, id.as_str())),
                PAGE,
            )
            .await?;
        let full = page.len() as i64 == PAGE;
        self.cursor = page
            .last()
            .filter(|_| full)
            .map(|last| (last.sort_at, last.id.clone()));
        self.done = self.cursor.is_none();
        Ok(Some(page))
    }
}

/// The ids of the items of the caller's album `album` (not found: another's,
/// or none).
pub(crate) async fn own_album_items(
    state: &AppState,
    user: &UserRow,
    album: &str,
) -> Result<std::collections::HashSet<String>> {
    state
        .catalog()
        .album(&user.id, album)
        .await?
        .ok_or(Error::NotFound)?;
    let filter = TimelineFilter {
        album: Some(album.to_string()),
        ..TimelineFilter::default()
    };
    let mut ids = std::collections::HashSet::new();
    let mut pages = Pages::new(state, &user.id, filter);
    while let Some(page) = pages.next().await? {
        ids.extend(page.into_iter().map(|a| a.id));
    }
    Ok(ids)
}
