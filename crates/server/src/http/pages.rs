//! The browser app's pages and static files. Every page is authenticated
//! by the session cookie (no token in a URL), follows the account's setup
//! state (a new password, then an authenticator, before anything else) and
//! its role (staff roles have no library), and carries the strict CSP of
//! `pixelunion_web::CSP`. While sealed every page is the "locked" page.
//! Static files are served under a content-hashed folder, cached for a year.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::Markup;
use pixelunion_auth::{Permission, Role, roles};
use pixelunion_web::pages::{self, AdminView, View, Viewer};

use super::extract::{credentials, page_csrf};
use crate::AppState;
use crate::accounts::principal::{Principal, authenticate};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(timeline))
        .route("/login", get(login))
        .route("/invite", get(invite))
        .route("/setup", get(setup))
        .route("/favorites", get(favorites))
        .route("/archive", get(archive))
        .route("/trash", get(trash))
        .route("/albums", get(albums))
        .route("/albums/{id}", get(album))
        .route("/settings", get(settings))
        .route("/admin", get(admin))
        .route("/static/{version}/{file}", get(asset))
        .route("/security", get(disclosure))
        .route("/policies", get(policies_page))
        .route("/recover", get(recover))
        .route("/s", get(link_page))
        .route("/.well-known/security.txt", get(security_txt))
}

fn html(status: StatusCode, page: Markup) -> Response {
    let mut r = Response::new(Body::from(page.into_string()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(pixelunion_web::CSP),
    );
    r
}

/// Who may see a page, or where to send them instead.
enum Gate {
    Show(Principal, String),
    Elsewhere(Response),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// a photo library (the `user` role)
    Library,
    /// any signed-in account
    Account,
    /// the administration pages
    Staff,
    /// the setup page itself
    Setup,
}

fn setup_pending(p: &Principal) -> bool {
    p.user.must_change_password || (p.role.requires_mfa() && p.user.totp_secret.is_none())
}

async fn gate(state: &AppState, parts: &Parts, needs: Needs) -> Gate {
    if state.keys().is_sealed() {
        return Gate::Elsewhere(html(StatusCode::SERVICE_UNAVAILABLE, pages::locked()));
    }
    let Ok(p) = authenticate(state, &credentials(parts)).await else {
        return Gate::Elsewhere(Redirect::to(&login_then(parts)).into_response());
    };
    if p.api_scope.is_some() {
        // API tokens are for programs, not pages.
        return Gate::Elsewhere(Redirect::to("/login").into_response());
    }
    if needs != Needs::Setup && setup_pending(&p) {
        return Gate::Elsewhere(Redirect::to("/setup").into_response());
    }
    let library = roles::allows(p.role, Permission::OwnLibrary);
    let staff = is_staff(p.role);
    let home = if library { "/" } else { "/admin" };
    match needs {
        Needs::Library if !library => return Gate::Elsewhere(Redirect::to(home).into_response()),
        Needs::Staff if !staff => return Gate::Elsewhere(Redirect::to(home).into_response()),
        _ => {}
    }
    let csrf = page_csrf(parts).unwrap_or_default();
    Gate::Show(p, csrf)
}

/// `/login?next=…`: after signing in, people land on the page they asked
/// for (the sign-in page accepts only a path on this site).
fn login_then(parts: &Parts) -> String {
    let wanted = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    if wanted == "/" || !wanted.starts_with('/') || wanted.starts_with("//") {
        return "/login".into();
    }
    let mut next = String::with_capacity(wanted.len() + 8);
    for b in wanted.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            next.push(char::from(b));
        } else {
            next.push_str(&format!("%{b:02X}"));
        }
    }
    format!("/login?next={next}")
}

fn is_staff(role: Role) -> bool {
    [
        Permission::ViewAccounts,
        Permission::OperateSystem,
        Permission::ReadAudit,
    ]
    .into_iter()
    .any(|perm| roles::allows(role, perm))
}

fn viewer<'a>(
    state: &AppState,
    p: &'a Principal,
    csrf: &'a str,
    email: &'a mut String,
    notices: &'a [&'a str],
) -> Viewer<'a> {
    *email = crate::accounts::email_for(state, &p.user).unwrap_or_default();
    Viewer {
        email,
        staff: is_staff(p.role),
        library: roles::allows(p.role, Permission::OwnLibrary),
        csrf,
        notices,
    }
}

async fn page(
    state: AppState,
    parts: Parts,
    needs: Needs,
    render: impl FnOnce(Viewer<'_>, &Principal) -> Markup,
) -> Response {
    match gate(&state, &parts, needs).await {
        Gate::Elsewhere(r) => r,
        Gate::Show(p, csrf) => {
            // Policies changed since the account read them are announced on
            // every page (a failure to read them must not hide the page).
            let kinds: Vec<String> = crate::accounts::policies::unseen(&state, &p.user.id)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|n| n.kind)
                .collect();
            let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
            let mut email = String::new();
            let v = viewer(&state, &p, &csrf, &mut email, &kinds);
            html(StatusCode::OK, render(v, &p))
        }
    }
}

async fn timeline(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Library, |v, _| {
        pages::library(v, View::Timeline)
    })
    .await
}

async fn favorites(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Library, |v, _| {
        pages::library(v, View::Favorites)
    })
    .await
}

async fn archive(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Library, |v, _| {
        pages::library(v, View::Archive)
    })
    .await
}

async fn trash(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Library, |v, _| {
        pages::library(v, View::Trash)
    })
    .await
}

async fn albums(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Library, |v, _| pages::albums(v)).await
}

async fn album(State(s): State<AppState>, Path(id): Path<String>, parts: Parts) -> Response {
    // The page is a shell; the album's contents come from the owner-scoped
    // API, so another user's id shows nothing.
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    page(s, parts, Needs::Library, move |v, _| {
        pages::library(v, View::Album(&id))
    })
    .await
}

async fn settings(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Account, |v, _| pages::settings(v)).await
}

async fn admin(State(s): State<AppState>, parts: Parts) -> Response {
    let local = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    page(s, parts, Needs::Staff, move |v, p| {
        let operate = roles::allows(p.role, Permission::OperateSystem);
        pages::admin(
            v,
            AdminView {
                role: p.role.as_str(),
                accounts: roles::allows(p.role, Permission::ViewAccounts),
                manage: roles::allows(p.role, Permission::ManageUsers),
                operate,
                backup: operate || local,
                incidents: roles::allows(p.role, Permission::ManageIncidents),
            },
        )
    })
    .await
}

async fn setup(State(s): State<AppState>, parts: Parts) -> Response {
    page(s, parts, Needs::Setup, |v, p| {
        let mfa = p.role.requires_mfa() && p.user.totp_secret.is_none();
        pages::setup(v, p.user.must_change_password, mfa)
    })
    .await
}

async fn login(State(s): State<AppState>, parts: Parts) -> Response {
    if s.keys().is_sealed() {
        return html(StatusCode::SERVICE_UNAVAILABLE, pages::locked());
    }
    if authenticate(&s, &credentials(&parts))
        .await
        .is_ok_and(|p| p.api_scope.is_none())
    {
        return Redirect::to("/").into_response();
    }
    let recovery = s.config().accounts.email_recovery && s.config().smtp.enabled();
    html(
        StatusCode::OK,
        pages::login(&s.certificate_fingerprint(), recovery),
    )
}

async fn recover(State(s): State<AppState>) -> Response {
    if s.keys().is_sealed() {
        return html(StatusCode::SERVICE_UNAVAILABLE, pages::locked());
    }
    html(StatusCode::OK, pages::recover())
}

/// A public link's page: the same shell for every link (the token is in
/// the address's fragment, which the browser keeps to itself).
async fn link_page(State(s): State<AppState>) -> Response {
    if s.keys().is_sealed() {
        return html(StatusCode::SERVICE_UNAVAILABLE, pages::locked());
    }
    let mut r = html(StatusCode::OK, pages::link());
    r.headers_mut().insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow, noarchive"),
    );
    r
}

async fn invite(State(s): State<AppState>) -> Response {
    if s.keys().is_sealed() {
        return html(StatusCode::SERVICE_UNAVAILABLE, pages::locked());
    }
    html(StatusCode::OK, pages::invite())
}

/// The policies in force, for a signed-in reader to record having read.
async fn policies_page(State(s): State<AppState>, parts: Parts) -> Response {
    let items = crate::accounts::policies::latest(&s)
        .await
        .unwrap_or_default();
    let published: Vec<String> = items
        .iter()
        .map(|p| crate::audit::export::rfc3339(p.published_at))
        .collect();
    page(s, parts, Needs::Account, move |v, _| {
        let texts: Vec<pages::PolicyText<'_>> = items
            .iter()
            .zip(&published)
            .map(|(p, when)| pages::PolicyText {
                kind: &p.kind,
                version: p.version,
                published: when,
                text: &p.text,
            })
            .collect();
        pages::policies(Some(v), &texts)
    })
    .await
}

async fn disclosure(State(s): State<AppState>) -> Response {
    let d = &s.config().disclosure;
    html(
        StatusCode::OK,
        pages::disclosure(
            &d.contacts_with(&s.config().public_host, &s.config().contacts.security_email),
            &d.acknowledgements,
        ),
    )
}

/// `/.well-known/security.txt` (RFC 9116): contacts, an `Expires` a
/// configured number of days ahead (computed per request, so it never goes
/// stale), languages, the canonical address and the policy page.
async fn security_txt(State(s): State<AppState>, parts: Parts) -> Response {
    let c = s.config();
    let origin = super::origin::public_origin(c, &parts.uri, &parts.headers);
    let expires = time::OffsetDateTime::now_utc()
        + time::Duration::days(i64::from(c.disclosure.expires_days));
    let expires = expires
        .replace_nanosecond(0)
        .unwrap_or(expires)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut body = String::new();
    for contact in c
        .disclosure
        .contacts_with(&c.public_host, &c.contacts.security_email)
    {
        body.push_str(&format!("Contact: {contact}\n"));
    }
    body.push_str(&format!("Expires: {expires}\n"));
    if !c.disclosure.languages.is_empty() {
        body.push_str(&format!(
            "Preferred-Languages: {}\n",
            c.disclosure.languages.join(", ")
        ));
    }
    body.push_str(&format!(
        "Canonical: {origin}/.well-known/security.txt\nPolicy: {origin}/security\n"
    ));
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

/// Any other path: the HTML "nothing here" page (or locked, while sealed).
pub(super) async fn not_found(State(s): State<AppState>) -> Response {
    if s.keys().is_sealed() {
        return html(StatusCode::SERVICE_UNAVAILABLE, pages::locked());
    }
    not_found_page()
}

/// The 404 page.
pub(super) fn not_found_page() -> Response {
    html(StatusCode::NOT_FOUND, pages::not_found())
}

async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    let Some(a) = pixelunion_web::assets::get(&version, &file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut r = Response::new(Body::from(a.bytes));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    r
}
