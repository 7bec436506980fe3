//! The list of every route and who may call it. It is the source of truth for
//! the role × route access test (which calls each of these as every role) and
//! a unit test below fails when a route is registered in `http/` but missing
//! here — so no route can be added without deciding its access.

use pixelunion_auth::Permission;

/// What `{id}` in a path refers to, for the access test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// no id
    None,
    /// one of the caller's own sessions (another user's id must give 404)
    OwnSession,
    /// one of the caller's own API tokens (another user's id must give 404)
    OwnToken,
    /// any account (administration)
    Account,
    /// an invitation (administration)
    Invite,
    /// one of the caller's own assets (another user's id must give 404)
    OwnAsset,
    /// one of the caller's own albums (another user's id must give 404)
    OwnAlbum,
    /// one of the caller's own resumable uploads (another user's id must give 404)
    OwnUpload,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// anyone (health, status, unseal, login)
    Public,
    /// from the server's own machine, or a signed-in operator from elsewhere
    LoopbackOrOperator,
    /// signed-in callers whose role has the permission
    Gated(Permission, Target),
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method
    pub method: &'static str,
    /// path as registered (with `{id}` placeholders)
    pub path: &'static str,
    /// access rule
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
    }
}

use Access::{Gated, LoopbackOrOperator, Public};
use Permission as P;

/// Every route of the service.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/healthz", Public),
    r("GET", "/readyz", Public),
    r("GET", "/api/v1/sys/status", Public),
    r("POST", "/api/v1/sys/unseal", Public),
    r("GET", "/api/openapi.json", Public),
    r("POST", "/api/v1/sys/seal", LoopbackOrOperator),
    r("POST", "/api/v1/auth/login", Public),
    r("POST", "/api/v1/auth/invites/accept", Public),
    r("POST", "/api/v1/auth/signup", Public),
    r(
        "POST",
        "/api/v1/auth/logout",
        Gated(P::OwnAccount, Target::None),
    ),
    r("GET", "/api/v1/auth/me", Gated(P::OwnAccount, Target::None)),
    r(
        "GET",
        "/api/v1/auth/sessions",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "DELETE",
        "/api/v1/auth/sessions/{id}",
        Gated(P::OwnAccount, Target::OwnSession),
    ),
    r(
        "POST",
        "/api/v1/auth/sessions/revoke-others",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "POST",
        "/api/v1/auth/password",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "POST",
        "/api/v1/auth/mfa/totp",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "GET",
        "/api/v1/auth/tokens",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "POST",
        "/api/v1/auth/tokens",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "DELETE",
        "/api/v1/auth/tokens/{id}",
        Gated(P::OwnAccount, Target::OwnToken),
    ),
    r(
        "GET",
        "/api/v1/admin/users",
        Gated(P::ViewAccounts, Target::None),
    ),
    r(
        "POST",
        "/api/v1/admin/users",
        Gated(P::ManageUsers, Target::None),
    ),
    r(
        "PATCH",
        "/api/v1/admin/users/{id}",
        Gated(P::ManageUsers, Target::Account),
    ),
    r(
        "GET",
        "/api/v1/admin/invites",
        Gated(P::ManageUsers, Target::None),
    ),
    r(
        "POST",
        "/api/v1/admin/invites",
        Gated(P::ManageUsers, Target::None),
    ),
    r(
        "DELETE",
        "/api/v1/admin/invites/{id}",
        Gated(P::ManageUsers, Target::Invite),
    ),
    r(
        "GET",
        "/api/v1/admin/jobs",
        Gated(P::OperateSystem, Target::None),
    ),
    r(
        "GET",
        "/api/v1/admin/storage",
        Gated(P::OperateSystem, Target::None),
    ),
    r(
        "GET",
        "/api/v1/audit/events",
        Gated(P::ReadAudit, Target::None),
    ),
    r("GET", "/api/v1/assets", Gated(P::OwnLibrary, Target::None)),
    r("POST", "/api/v1/assets", Gated(P::OwnLibrary, Target::None)),
    r(
        "POST",
        "/api/v1/assets/exists",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "POST",
        "/api/v1/assets/batch",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "PATCH",
        "/api/v1/assets/{id}",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "DELETE",
        "/api/v1/assets/{id}",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "POST",
        "/api/v1/assets/{id}/restore",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/original",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/thumbnail",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/preview",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/playback",
        Gated(P::OwnLibrary, Target::OwnAsset),
    ),
    r(
        "GET",
        "/api/v1/library/months",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "GET",
        "/api/v1/library/usage",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "POST",
        "/api/v1/trash/empty",
        Gated(P::OwnLibrary, Target::None),
    ),
    r("GET", "/api/v1/albums", Gated(P::OwnLibrary, Target::None)),
    r("POST", "/api/v1/albums", Gated(P::OwnLibrary, Target::None)),
    r(
        "GET",
        "/api/v1/albums/{id}",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "PATCH",
        "/api/v1/albums/{id}",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "DELETE",
        "/api/v1/albums/{id}",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "POST",
        "/api/v1/albums/{id}/assets",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "POST",
        "/api/v1/albums/{id}/remove",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "OPTIONS",
        "/api/v1/uploads",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "POST",
        "/api/v1/uploads",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "HEAD",
        "/api/v1/uploads/{id}",
        Gated(P::OwnLibrary, Target::OwnUpload),
    ),
    r(
        "PATCH",
        "/api/v1/uploads/{id}",
        Gated(P::OwnLibrary, Target::OwnUpload),
    ),
    r(
        "DELETE",
        "/api/v1/uploads/{id}",
        Gated(P::OwnLibrary, Target::OwnUpload),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_documents_every_route() {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(super::super::ApiDoc::openapi()).expect("json");
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with("3.")),
            Some(true)
        );
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_lowercase()];
            assert!(
                op.is_object(),
                "{} {} is missing from the OpenAPI document",
                r.method,
                r.path
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{} {} has no summary",
                r.method,
                r.path
            );
        }
        let documented: usize = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .map(|p| p.as_object().map_or(0, |o| o.len()))
            .sum();
        assert_eq!(
            documented,
            ROUTES.len(),
            "the document lists exactly the routes"
        );
        assert!(doc["components"]["schemas"]["LoginBody"].is_object());
        assert!(doc["components"]["securitySchemes"]["session_cookie"].is_object());
    }

    /// Scans the `.route("…", method(…).method(…))` calls of every router file.
    fn registered() -> Vec<(String, String)> {
        let sources = [
            ("", include_str!("sys.rs")),
            ("/api/v1", include_str!("auth.rs")),
            ("/api/v1", include_str!("admin.rs")),
            ("/api/v1", include_str!("library/upload.rs")),
            ("/api/v1", include_str!("library/timeline.rs")),
            ("/api/v1", include_str!("library/edit.rs")),
            ("/api/v1", include_str!("library/download.rs")),
            ("/api/v1", include_str!("library/albums.rs")),
            ("/api/v1", include_str!("library/tus.rs")),
        ];
        let mut out = Vec::new();
        for (prefix, src) in sources {
            let mut rest = src;
            while let Some(i) = rest.find(".route(") {
                rest = rest[i + 7..].trim_start();
                let Some(r) = rest.strip_prefix('"') else {
                    continue;
                };
                rest = r;
                let end = rest.find('"').expect("closing quote");
                let path = format!("{prefix}{}", &rest[..end]);
                // The call runs to the parenthesis that closes `.route(`.
                let mut depth = 1;
                let call_end = rest
                    .char_indices()
                    .find_map(|(j, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        (depth == 0).then_some(j)
                    })
                    .expect("end of route call");
                let call = rest[end..call_end].replace(char::is_whitespace, "");
                for m in ["get", "post", "put", "patch", "delete", "head", "options"] {
                    for pat in [format!(",{m}("), format!(".{m}(")] {
                        if call.contains(&pat) {
                            out.push((m.to_uppercase(), path.clone()));
                        }
                    }
                }
                rest = &rest[end..];
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_registered_route_is_listed_and_vice_versa() {
        let mut listed: Vec<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        listed.sort();
        let reg = registered();
        assert!(reg.len() >= 20, "scanner found too few routes: {reg:?}");
        for r in &reg {
            assert!(
                listed.contains(r),
                "route {} {} is registered but not in http/routes.rs ROUTES",
                r.0,
                r.1
            );
        }
        for r in &listed {
            assert!(
                reg.contains(r),
                "route {} {} is listed but not registered",
                r.0,
                r.1
            );
        }
    }
}
