//! Search in one's own library, private by construction: the searchable
//! fields (file name, caption, camera, capture time) are encrypted in the
//! catalog, so the server decrypts the caller's own rows into an index in
//! memory — built on the first search, kept for [`TTL`], forgotten at once
//! when the library changes on any node (the catalog holds a revision of
//! each library) and all of them when the server seals — and
//! answers from it. Nothing searchable is written anywhere, no term is
//! logged, and the catalog sees only the pages it always serves; what the
//! index in memory means for the threat model is in `docs/threat-model.md`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pixelunion_catalog::{AssetKind, AssetRow, TimelineFilter, UserRow};
use pixelunion_vault::DataKey;
use serde::Serialize;
use zeroize::Zeroizing;

use super::assets::AssetView;
use super::{Error, Result, timeline};
use crate::AppState;
use crate::fields::{self, Column};

mod cache;
pub use cache::Cache;

/// How long an index is kept without a change to the library.
pub const TTL: Duration = Duration::from_secs(120);
/// Indexes kept at once (least recently built go first).
const KEPT: usize = 64;
/// Longest query text.
pub const MAX_QUERY: usize = 200;

/// One asset as the index knows it.
#[derive(Debug)]
struct Entry {
    id: String,
    sort_at: i64,
    kind: AssetKind,
    favorite: bool,
    /// lower-case file name, caption, camera and year, one string
    text: Zeroizing<String>,
    /// "Make Model" as recorded
    camera: Option<Zeroizing<String>>,
    /// the nearest town ("Biarritz, Aquitaine, France")
    place: Option<Zeroizing<String>>,
    /// both in lower case (what filters compare)
    camera_lc: Option<Zeroizing<String>>,
    place_lc: Option<Zeroizing<String>>,
    year: Option<i32>,
}

/// A user's index: entries newest first.
#[derive(Debug)]
pub struct Index {
    entries: Vec<Entry>,
    built: Instant,
    /// the library's revision in the catalog when it was built (another
    /// node's change bumps it)
    rev: i64,
}

/// What to look for; every part given must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// words, each found in the file name, the caption, the camera or the
    /// year (case-insensitive)
    pub text: Option<String>,
    /// capture (else upload) time at or after, unix ms
    pub from_ms: Option<i64>,
    /// before, unix ms
    pub to_ms: Option<i64>,
    /// photos or videos
    pub kind: Option<AssetKind>,
    /// favourites only (true) or the others
    pub favorite: Option<bool>,
    /// the camera ("Make Model" or a part of it, case-insensitive)
    pub camera: Option<String>,
    /// the place (town, region or country, or a part of it, case-insensitive)
    pub place: Option<String>,
    /// only this album's items (an album of the caller's)
    pub album: Option<String>,
}

/// An answer: the first hits, newest first, and how many there are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Found {
    /// the first `limit` hits
    pub items: Vec<AssetView>,
    /// all hits
    pub total: usize,
}

/// What the search box suggests: the caller's cameras and years.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    /// cameras, most used first
    pub cameras: Vec<String>,
    /// places (the nearest town), most photographed first
    pub places: Vec<String>,
    /// years with photos, newest first
    pub years: Vec<i32>,
}

/// Places farther than this from the nearest town in the list (squared
/// chord on the unit sphere: about 100 km) have no place name.
const NEAR: f64 = (100.0 / 6371.0) * (100.0 / 6371.0);

/// The nearest town to a point, from the GeoNames list built into the
/// binary (towns of 1,000 people or more; loaded on first use, in memory
/// only): nothing is asked of any outside service.
fn place_of(latitude: f64, longitude: f64) -> Option<String> {
    static GEOCODER: std::sync::OnceLock<reverse_geocoder::ReverseGeocoder> =
        std::sync::OnceLock::new();
    let on_globe = latitude.is_finite()
        && longitude.is_finite()
        && latitude.abs() <= 90.0
        && longitude.abs() <= 180.0;
    if !on_globe {
        return None;
    }
    let found = GEOCODER
        .get_or_init(reverse_geocoder::ReverseGeocoder::new)
        .search((latitude, longitude));
    if found.distance.is_nan() || found.distance > NEAR {
        return None;
    }
    let r = found.record;
    let country = isocountry::CountryCode::for_alpha2(&r.cc)
        .map(|c| c.name().to_string())
        .unwrap_or_else(|_| r.cc.clone());
    let mut parts = vec![r.name.as_str()];
    if !r.admin1.is_empty() && r.admin1 != r.name {
        parts.push(&r.admin1);
    }
    parts.push(&country);
    Some(parts.join(", "))
}

fn entry(key: &DataKey, a: &AssetRow) -> Entry {
    let open = |col, ct: Option<&Vec<u8>>| {
        fields::open_text(key, col, &a.owner_id, &a.id, ct.map(Vec::as_slice)).map(Zeroizing::new)
    };
    let name = open(Column::AssetFileName, a.file_name.as_ref());
    let caption = open(Column::AssetCaption, a.caption.as_ref());
    let meta = open(Column::AssetMetadata, a.metadata.as_ref())
        .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok());
    let part = |k: &str| {
        meta.as_ref()
            .and_then(|m| m[k].as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let camera = match (part("make"), part("model")) {
        // models often repeat the make ("Canon EOS R5")
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => {
            Some(model.to_string())
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (a, b) => a.or(b).map(str::to_string),
    }
    .map(Zeroizing::new);
    let place = meta
        .as_ref()
        .and_then(|m| Some((m["latitude"].as_f64()?, m["longitude"].as_f64()?)))
        .and_then(|(la, lo)| place_of(la, lo))
        .map(Zeroizing::new);
    let year = a
        .taken_at
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.div_euclid(1000)).ok())
        .map(|d| d.year());
    // lower case without a temporary copy of the plaintext
    let lower =
        |s: &str| Zeroizing::new(s.chars().flat_map(char::to_lowercase).collect::<String>());
    let mut text = String::new();
    for s in [
        name.as_deref(),
        caption.as_deref(),
        camera.as_deref(),
        place.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        text.extend(s.chars().flat_map(char::to_lowercase));
        text.push('\n');
    }
    if let Some(y) = year {
        text.push_str(&y.to_string());
    }
    Entry {
        id: a.id.clone(),
        sort_at: a.sort_at,
        kind: a.kind,
        favorite: a.favorite,
        text: Zeroizing::new(text),
        camera_lc: camera.as_deref().map(|c| lower(c)),
        place_lc: place.as_deref().map(|p| lower(p)),
        camera,
        place,
        year,
    }
}

/// Builds `user`'s index from the catalog (every asset outside the trash,
/// archived ones too).
async fn build(state: &AppState, user: &UserRow, key: &Arc<DataKey>, rev: i64) -> Result<Index> {
    let mut entries = Vec::new();
    let mut pages = timeline::Pages::new(state, &user.id, TimelineFilter::default());
    while let Some(page) = pages.next().await? {
        // decrypting a page is CPU work: off the request threads
        let k = key.clone();
        let made = tokio::task::spawn_blocking(move || {
            page.iter().map(|a| entry(&k, a)).collect::<Vec<_>>()
        })
        .await
        .map_err(|_| Error::Corrupt("a search index build stopped"))?;
        entries.extend(made);
    }
    add_album_names(state, user, key, &mut entries).await?;
    Ok(Index {
        entries,
        built: Instant::now(),
        rev,
    })
}

/// Adds the names of the caller's albums to the words of their items, so
/// that "Rome" finds what is in the album "Rome 2019".
async fn add_album_names(
    state: &AppState,
    user: &UserRow,
    key: &DataKey,
    entries: &mut [Entry],
) -> Result<()> {
    let albums = state.catalog().albums(&user.id).await?;
    if albums.is_empty() {
        return Ok(());
    }
    let at: std::collections::HashMap<String, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.clone(), i))
        .collect();
    for al in albums {
        let Some(name) =
            fields::open_text(key, Column::AlbumName, &al.owner_id, &al.id, Some(&al.name))
                .map(Zeroizing::new)
        else {
            continue;
        };
        let lower = Zeroizing::new(
            name.chars()
                .flat_map(char::to_lowercase)
                .collect::<String>(),
        );
        for id in timeline::own_album_items(state, user, &al.id).await? {
            if let Some(e) = at.get(&id).and_then(|&i| entries.get_mut(i)) {
                e.text.push(' ');
                e.text.push_str(&lower);
            }
        }
    }
    Ok(())
}

/// `user`'s library changed: this node forgets its index at once, and the
/// revision in the catalog tells every other node to. The change itself is
/// committed: a revision that cannot be bumped is logged, and other nodes
/// then answer from their index for at most [`TTL`].
pub async fn changed(state: &AppState, user: &str) {
    state.search().forget(user);
    if let Err(e) = state.catalog().bump_library_revision(user).await {
        tracing::warn!(error = %e, "the library's revision could not be bumped: other nodes' search indexes stay stale until they expire");
    }
}

async fn index_of(state: &AppState, user: &UserRow, key: &Arc<DataKey>) -> Result<Arc<Index>> {
    let rev = state.catalog().library_revision(&user.id).await?;
    if let Some(i) = state.search().get(&user.id, rev) {
        return Ok(i);
    }
    // One build at a time on this node: an account that changes its library
    // and searches in a loop costs at most one core, and a build another
    // request just finished is used instead of a second one.
    let _turn = state
        .search()
        .building
        .acquire()
        .await
        .map_err(|_| Error::Corrupt("the search index builder is closed"))?;
    let rev = state.catalog().library_revision(&user.id).await?;
    if let Some(i) = state.search().get(&user.id, rev) {
        return Ok(i);
    }
    let before = state.search().changes(&user.id);
    let index = Arc::new(build(state, user, key, rev).await?);
    // changed meanwhile: this answer uses it, the next search builds anew
    if state.search().changes(&user.id) == before {
        state.search().put(&user.id, index.clone());
    }
    Ok(index)
}

impl Index {
    /// The ids of the entries matching `q`, newest first.
    fn matching<'a>(&'a self, q: &'a Query) -> impl Iterator<Item = &'a Entry> + 'a {
        let words: Vec<String> = q
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let camera = q.camera.as_deref().map(str::to_lowercase);
        let place = q.place.as_deref().map(str::to_lowercase);
        self.entries.iter().filter(move |e| {
            q.kind.is_none_or(|k| e.kind == k)
                && q.favorite.is_none_or(|f| e.favorite == f)
                && q.from_ms.is_none_or(|t| e.sort_at >= t)
                && q.to_ms.is_none_or(|t| e.sort_at < t)
                && camera
                    .as_deref()
                    .is_none_or(|c| e.camera_lc.as_deref().is_some_and(|have| have.contains(c)))
                && place
                    .as_deref()
                    .is_none_or(|p| e.place_lc.as_deref().is_some_and(|have| have.contains(p)))
                && words.iter().all(|w| e.text.contains(w.as_str()))
        })
    }
}

/// Searches the caller's library; the first `limit` hits.
pub async fn search(state: &AppState, user: &UserRow, q: &Query, limit: usize) -> Result<Found> {
    let too_long = |t: &Option<String>| t.as_deref().is_some_and(|t| t.chars().count() > MAX_QUERY);
    if too_long(&q.text) || too_long(&q.camera) || too_long(&q.place) {
        return Err(Error::QueryTooLong);
    }
    let key = state.keys().user_key(user)?;
    let within = match &q.album {
        Some(album) => Some(timeline::own_album_items(state, user, album).await?),
        None => None,
    };
    let index = index_of(state, user, &key).await?;
    let mut total = 0;
    let mut first = Vec::new();
    let hits = index
        .matching(q)
        .filter(|e| within.as_ref().is_none_or(|w| w.contains(&e.id)));
    for e in hits {
        if first.len() < limit {
            first.push(e.id.clone());
        }
        total += 1;
    }
    let mut items = Vec::with_capacity(first.len());
    for id in first {
        // gone since the index was built: left out
        if let Some(row) = state.catalog().asset(&user.id, &id).await?
            && row.trashed_at.is_none()
        {
            items.push(AssetView::new(&key, &row));
        }
    }
    Ok(Found { items, total })
}

/// The caller's cameras (most used first, at most 30) and years.
pub async fn suggestions(state: &AppState, user: &UserRow) -> Result<Suggestions> {
    let key = state.keys().user_key(user)?;
    let index = index_of(state, user, &key).await?;
    let mut cameras: BTreeMap<&str, usize> = BTreeMap::new();
    let mut places: BTreeMap<&str, usize> = BTreeMap::new();
    let mut years: Vec<i32> = Vec::new();
    for e in &index.entries {
        if let Some(c) = e.camera.as_deref() {
            *cameras.entry(c).or_default() += 1;
        }
        if let Some(p) = e.place.as_deref() {
            *places.entry(p).or_default() += 1;
        }
        if let Some(y) = e.year
            && !years.contains(&y)
        {
            years.push(y);
        }
    }
    let most_first = |m: BTreeMap<&str, usize>| {
        let mut v: Vec<(&str, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.into_iter().take(30).map(|(c, _)| c.to_string()).collect()
    };
    years.sort_unstable_by(|a, b| b.cmp(a));
    Ok(Suggestions {
        cameras: most_first(cameras),
        places: most_first(places),
        years,
    })
}

/// Builds an index from rows (what [`build`] does with each catalog page);
/// for the benchmark, which measures the decryption it costs.
#[doc(hidden)]
pub fn index_rows(key: &DataKey, rows: &[AssetRow]) -> Index {
    Index {
        entries: rows.iter().map(|a| entry(key, a)).collect(),
        built: Instant::now(),
        rev: 0,
    }
}

/// How many of `index`'s entries match `q` (the benchmark's measure of a
/// search without the catalog reads of the first hits).
#[doc(hidden)]
pub fn count(index: &Index, q: &Query) -> usize {
    index.matching(q).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(
        id: &str,
        sort_at: i64,
        kind: AssetKind,
        favorite: bool,
        text: &str,
        camera: Option<&str>,
    ) -> Entry {
        Entry {
            id: id.into(),
            sort_at,
            kind,
            favorite,
            text: Zeroizing::new(text.to_lowercase()),
            camera: camera.map(|c| Zeroizing::new(c.to_string())),
            camera_lc: camera.map(|c| Zeroizing::new(c.to_lowercase())),
            place: None,
            place_lc: None,
            year: None,
        }
    }

    fn index() -> Index {
        Index {
            entries: vec![
                e(
                    "v1",
                    40,
                    AssetKind::Video,
                    false,
                    "clip.mp4\nBeach at dusk\n2019",
                    None,
                ),
                e(
                    "p3",
                    30,
                    AssetKind::Photo,
                    true,
                    "IMG_3.jpg\nCanon EOS R5\n2019",
                    Some("Canon EOS R5"),
                ),
                e(
                    "p2",
                    20,
                    AssetKind::Photo,
                    false,
                    "IMG_2.jpg\nthe beach\nNIKON D700\n2015",
                    Some("NIKON D700"),
                ),
                e("p1", 10, AssetKind::Photo, false, "IMG_1.jpg", None),
            ],
            built: Instant::now(),
            rev: 0,
        }
    }

    fn ids(i: &Index, q: &Query) -> Vec<String> {
        i.matching(q).map(|e| e.id.clone()).collect()
    }

    #[test]
    fn every_word_and_every_filter_must_match() {
        let i = index();
        let q = |text: &str| Query {
            text: Some(text.into()),
            ..Query::default()
        };
        assert_eq!(ids(&i, &q("BEACH")), ["v1", "p2"], "any case, newest first");
        assert_eq!(ids(&i, &q("beach 2015")), ["p2"], "all words");
        assert_eq!(ids(&i, &q("2019")), ["v1", "p3"], "the year");
        assert_eq!(ids(&i, &q("img_")), ["p3", "p2", "p1"], "file names");
        assert!(ids(&i, &q("rome")).is_empty());
        assert_eq!(
            ids(&i, &Query::default()).len(),
            4,
            "no condition: everything"
        );
        let cam = Query {
            camera: Some("nikon".into()),
            ..Query::default()
        };
        assert_eq!(ids(&i, &cam), ["p2"]);
        let mixed = Query {
            kind: Some(AssetKind::Photo),
            favorite: Some(false),
            from_ms: Some(15),
            to_ms: Some(40),
            ..Query::default()
        };
        assert_eq!(ids(&i, &mixed), ["p2"], "kind, favourite and [from, to)");
    }

    #[test]
    fn places_are_named_from_the_built_in_list_or_not_at_all() {
        let biarritz = place_of(43.4832, -1.5586).unwrap_or_default();
        assert!(
            biarritz.starts_with("Biarritz") && biarritz.ends_with("France"),
            "{biarritz}"
        );
        let geneva = place_of(46.2044, 6.1432).unwrap_or_default();
        assert!(geneva.contains("Switzerland"), "{geneva}");
        assert_eq!(
            place_of(-48.87, -123.39),
            None,
            "Point Nemo: no town within 100 km"
        );
        assert_eq!(place_of(f64::NAN, 0.0), None);
        assert_eq!(place_of(91.0, 0.0), None);
    }

    #[tokio::test]
    async fn sealing_drops_every_index() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let config = crate::config::Config {
            data_dir: dir.path().join("data"),
            ..crate::config::Config::default()
        };
        let (state, _) = crate::prepare(config).await?;
        state.search().put("u1", Arc::new(index()));
        assert!(state.search().get("u1", 0).is_some());
        crate::seal_now(&state).await;
        assert!(
            state.search().get("u1", 0).is_none(),
            "no decrypted index outlives the keys"
        );
        Ok(())
    }
}
