//! The list of every route and who may call it. It is the source of truth for
//! the role × route access test (which calls each of these as every role) and
//! a unit test below fails when a route is registered in `http/` but missing
//! here — so no route can be added without deciding its access.

mod table;

use pixelunion_auth::Permission;

pub use table::ROUTES;

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
    /// one of the caller's own assets or one shared with them through an
    /// album (another user's unshared id must give 404)
    SharedAsset,
    /// one of the caller's own albums or one shared with them (another
    /// user's unshared id must give 404)
    SharedAlbum,
    /// one of the caller's own public links (another user's id must give 404)
    OwnLink,
    /// one of the caller's own resumable uploads (another user's id must give 404)
    OwnUpload,
    /// one of the caller's own exports (another user's id must give 404)
    OwnExport,
    /// an incident (security role)
    Incident,
    /// a role request (administration)
    RoleRequest,
    /// an access review (security role)
    AccessReview,
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

/// Whether `path` is a system or operator route (unseal, seal, backups,
/// the firewall, metrics, account administration, the audit trail, the admin page):
/// with a separate operator listener these answer 404 on the public one.
/// The seal status stays public (the web app shows the sealed page from it).
pub fn is_operator_path(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    under("/admin")
        || under("/api/v1/admin")
        || under("/api/v1/audit")
        || under("/api/v1/incidents")
        || (under("/api/v1/sys") && path != "/api/v1/sys/status")
        || path == "/metrics"
}

/// Whether `method path` streams a file into the library (a one-request
/// upload, or a piece of a resumable one): its body is never read by the
/// firewall, whatever its declared type.
pub fn is_upload_route(method: &str, path: &str) -> bool {
    match method {
        "POST" => path == "/api/v1/assets",
        "PATCH" => path
            .strip_prefix("/api/v1/uploads/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/')),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    /// `(METHOD, path)` of every operation the served router documents.
    /// The router and the document are made from the same `routes!` calls
    /// (utoipa-axum), so this is the list of registered routes.
    fn served() -> TestResult<Vec<(String, String)>> {
        let doc = serde_json::to_value(super::super::openapi())?;
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().ok_or("no paths")? {
            for method in item.as_object().ok_or("a path item is no object")?.keys() {
                if ["get", "post", "put", "patch", "delete", "head", "options"]
                    .contains(&method.as_str())
                {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    #[test]
    fn operator_routes_are_exactly_the_system_and_staff_routes() {
        use pixelunion_auth::Permission as P;
        for r in ROUTES {
            let staff = match r.access {
                Access::LoopbackOrOperator => true,
                Access::Gated(p, _) => matches!(
                    p,
                    P::ViewAccounts
                        | P::ManageUsers
                        | P::ManageRoles
                        | P::ReadAudit
                        | P::OperateSystem
                        | P::ManageIncidents
                ),
                Access::Public => r.path == "/api/v1/sys/unseal",
            };
            assert_eq!(is_operator_path(r.path), staff, "{} {}", r.method, r.path);
        }
        assert!(is_upload_route("POST", "/api/v1/assets"));
        assert!(is_upload_route("PATCH", "/api/v1/uploads/abc"));
        assert!(!is_upload_route("PATCH", "/api/v1/assets/abc"));
        assert!(!is_upload_route("POST", "/api/v1/uploads"));
        assert!(is_operator_path("/admin"));
        assert!(!is_operator_path("/administrator"));
        assert!(!is_operator_path("/api/v1/sys/status"));
        assert!(!is_operator_path("/api/v1/assets"));
    }

    #[test]
    fn every_served_route_is_listed_and_vice_versa() -> TestResult {
        let mut listed: Vec<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        listed.sort();
        let served = served()?;
        assert!(served.len() >= 50, "too few routes served: {served:?}");
        for r in &served {
            assert!(
                listed.contains(r),
                "route {} {} is served but not in http/routes/table.rs ROUTES",
                r.0,
                r.1
            );
        }
        for r in &listed {
            assert!(
                served.contains(r),
                "route {} {} is listed but not served",
                r.0,
                r.1
            );
        }
        Ok(())
    }

    #[test]
    fn every_operation_is_summarised_and_answers_are_described() -> TestResult {
        let doc = serde_json::to_value(super::super::openapi())?;
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with("3.")),
            Some(true)
        );
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_lowercase()];
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{} {} has no summary",
                r.method,
                r.path
            );
            let responses = op["responses"]
                .as_object()
                .ok_or(format!("{} {}: no responses", r.method, r.path))?;
            assert!(
                responses.contains_key("500"),
                "{} {}: shared errors documented",
                r.method,
                r.path
            );
            if r.path.starts_with("/api/v1/") {
                assert!(
                    responses.contains_key("503"),
                    "{} {}: sealed",
                    r.method,
                    r.path
                );
            }
            if let Access::Gated(_, target) = r.access {
                for status in ["401", "403"] {
                    assert!(
                        responses.contains_key(status),
                        "{} {}: {status}",
                        r.method,
                        r.path
                    );
                }
                if target != Target::None {
                    assert!(
                        responses.contains_key("404"),
                        "{} {}: 404",
                        r.method,
                        r.path
                    );
                }
            }
            for (status, resp) in responses {
                let code: u16 = status.parse()?;
                // Readiness answers 503 with its own document.
                if code >= 400 && r.path != "/readyz" {
                    assert_eq!(
                        resp["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{} {} {status}: an error answer has the error schema",
                        r.method,
                        r.path
                    );
                }
            }
        }
        assert!(doc["components"]["schemas"]["LoginBody"].is_object());
        assert!(doc["components"]["securitySchemes"]["session_cookie"].is_object());
        let codes = &doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"];
        assert_eq!(
            codes.as_array().map(Vec::len),
            Some(super::super::codes::ErrorCode::ALL.len()),
            "the error-code registry is published"
        );
        Ok(())
    }
}
