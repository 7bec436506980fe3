//! The route table itself: every route with its access rule (the types
//! and what the tests check are in the parent module).

use super::Access::{Gated, LoopbackOrOperator, Public};
use super::{RouteSpec, Target, r};
use pixelunion_auth::Permission as P;

/// Every route of the service.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/healthz", Public),
    r("GET", "/readyz", Public),
    r("GET", "/api/v1/sys/status", Public),
    r("POST", "/api/v1/sys/unseal", Public),
    r("GET", "/api/openapi.json", Public),
    r("POST", "/api/v1/sys/seal", LoopbackOrOperator),
    r("POST", "/api/v1/sys/break-glass", LoopbackOrOperator),
    r("GET", "/api/v1/sys/firewall", LoopbackOrOperator),
    r("GET", "/metrics", LoopbackOrOperator),
    r("GET", "/api/v1/sys/audit/verify", LoopbackOrOperator),
    r("POST", "/api/v1/sys/audit/checkpoints", LoopbackOrOperator),
    r("GET", "/api/v1/sys/backup", LoopbackOrOperator),
    r("GET", "/api/v1/sys/backup/snapshots", LoopbackOrOperator),
    r("POST", "/api/v1/sys/backup/snapshots", LoopbackOrOperator),
    r("POST", "/api/v1/sys/backup/verify", LoopbackOrOperator),
    r("POST", "/api/v1/sys/backup/scrub", LoopbackOrOperator),
    r("POST", "/api/v1/auth/login", Public),
    r("POST", "/api/v1/auth/invites/accept", Public),
    r("POST", "/api/v1/auth/signup", Public),
    r("POST", "/api/v1/auth/recovery", Public),
    r("POST", "/api/v1/auth/recovery/cancel", Public),
    r("POST", "/api/v1/auth/recovery/complete", Public),
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
        "/api/v1/auth/account/delete",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "GET",
        "/api/v1/auth/account/data",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "GET",
        "/api/v1/auth/security-events",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "GET",
        "/api/v1/auth/sign-in-alerts",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "PUT",
        "/api/v1/auth/sign-in-alerts",
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
        "POST",
        "/api/v1/admin/users/{id}/deletion",
        Gated(P::ManageUsers, Target::Account),
    ),
    r(
        "DELETE",
        "/api/v1/admin/users/{id}/deletion",
        Gated(P::ManageUsers, Target::Account),
    ),
    r(
        "GET",
        "/api/v1/admin/deletions",
        Gated(P::ManageUsers, Target::None),
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
        "/api/v1/admin/role-requests",
        Gated(P::ManageRoles, Target::None),
    ),
    r(
        "POST",
        "/api/v1/admin/role-requests",
        Gated(P::ManageRoles, Target::None),
    ),
    r(
        "POST",
        "/api/v1/admin/role-requests/{id}/reject",
        Gated(P::ManageRoles, Target::RoleRequest),
    ),
    r(
        "POST",
        "/api/v1/admin/role-requests/{id}/approve",
        Gated(P::ManageRoles, Target::RoleRequest),
    ),
    r("GET", "/api/v1/policies", Public),
    r(
        "POST",
        "/api/v1/admin/policies",
        Gated(P::ManageUsers, Target::None),
    ),
    r(
        "POST",
        "/api/v1/auth/policies/seen",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "GET",
        "/api/v1/admin/access-reviews/status",
        Gated(P::ManageRoles, Target::None),
    ),
    r(
        "GET",
        "/api/v1/audit/access-reviews",
        Gated(P::ReadAudit, Target::None),
    ),
    r(
        "POST",
        "/api/v1/audit/access-reviews",
        Gated(P::ReadAudit, Target::None),
    ),
    r(
        "GET",
        "/api/v1/audit/access-reviews/{id}",
        Gated(P::ReadAudit, Target::AccessReview),
    ),
    r(
        "POST",
        "/api/v1/audit/access-reviews/{id}/decisions",
        Gated(P::ReadAudit, Target::AccessReview),
    ),
    r(
        "GET",
        "/api/v1/audit/access-reviews/{id}/export",
        Gated(P::ReadAudit, Target::AccessReview),
    ),
    r(
        "POST",
        "/api/v1/auth/elevation",
        Gated(P::OwnAccount, Target::None),
    ),
    r(
        "DELETE",
        "/api/v1/auth/elevation",
        Gated(P::OwnAccount, Target::None),
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
    r(
        "GET",
        "/api/v1/audit/export",
        Gated(P::ReadAudit, Target::None),
    ),
    r(
        "GET",
        "/api/v1/audit/verify",
        Gated(P::ReadAudit, Target::None),
    ),
    r(
        "POST",
        "/api/v1/audit/checkpoints",
        Gated(P::ReadAudit, Target::None),
    ),
    r(
        "GET",
        "/api/v1/incidents",
        Gated(P::ManageIncidents, Target::None),
    ),
    r(
        "POST",
        "/api/v1/incidents",
        Gated(P::ManageIncidents, Target::None),
    ),
    r(
        "GET",
        "/api/v1/incidents/{id}",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r(
        "PATCH",
        "/api/v1/incidents/{id}",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r(
        "POST",
        "/api/v1/incidents/{id}/breach",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r(
        "POST",
        "/api/v1/incidents/{id}/affected",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r(
        "POST",
        "/api/v1/incidents/{id}/containment",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r(
        "GET",
        "/api/v1/incidents/{id}/notifications",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r(
        "POST",
        "/api/v1/incidents/{id}/notifications",
        Gated(P::ManageIncidents, Target::Incident),
    ),
    r("GET", "/api/v1/assets", Gated(P::OwnLibrary, Target::None)),
    r("GET", "/api/v1/search", Gated(P::OwnLibrary, Target::None)),
    r(
        "GET",
        "/api/v1/search/suggestions",
        Gated(P::OwnLibrary, Target::None),
    ),
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
        Gated(P::OwnLibrary, Target::SharedAsset),
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
        Gated(P::OwnLibrary, Target::SharedAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/thumbnail",
        Gated(P::OwnLibrary, Target::SharedAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/preview",
        Gated(P::OwnLibrary, Target::SharedAsset),
    ),
    r(
        "GET",
        "/api/v1/assets/{id}/playback",
        Gated(P::OwnLibrary, Target::SharedAsset),
    ),
    r("GET", "/api/v1/exports", Gated(P::OwnLibrary, Target::None)),
    r(
        "POST",
        "/api/v1/exports",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "GET",
        "/api/v1/exports/{id}",
        Gated(P::OwnLibrary, Target::OwnExport),
    ),
    r(
        "DELETE",
        "/api/v1/exports/{id}",
        Gated(P::OwnLibrary, Target::OwnExport),
    ),
    r(
        "GET",
        "/api/v1/exports/{id}/archive",
        Gated(P::OwnLibrary, Target::OwnExport),
    ),
    // ids in the query: another user's id answers 404 (tests/it/library.rs)
    r(
        "GET",
        "/api/v1/assets/zip",
        Gated(P::OwnLibrary, Target::None),
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
        Gated(P::OwnLibrary, Target::SharedAlbum),
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
        Gated(P::OwnLibrary, Target::SharedAlbum),
    ),
    r(
        "POST",
        "/api/v1/albums/{id}/remove",
        Gated(P::OwnLibrary, Target::SharedAlbum),
    ),
    r(
        "GET",
        "/api/v1/shared/albums",
        Gated(P::OwnLibrary, Target::None),
    ),
    r(
        "POST",
        "/api/v1/albums/{id}/leave",
        Gated(P::OwnLibrary, Target::SharedAlbum),
    ),
    r(
        "GET",
        "/api/v1/albums/{id}/shares",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "POST",
        "/api/v1/albums/{id}/shares",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r(
        "DELETE",
        "/api/v1/albums/{id}/shares/{share}",
        Gated(P::OwnLibrary, Target::OwnAlbum),
    ),
    r("GET", "/api/v1/profile", Gated(P::OwnAccount, Target::None)),
    r("PUT", "/api/v1/profile", Gated(P::OwnAccount, Target::None)),
    r("GET", "/api/v1/links", Gated(P::OwnLibrary, Target::None)),
    r("POST", "/api/v1/links", Gated(P::OwnLibrary, Target::None)),
    r(
        "DELETE",
        "/api/v1/links/{id}",
        Gated(P::OwnLibrary, Target::OwnLink),
    ),
    // public links: the token in a body, then a session cookie per link
    r("POST", "/api/v1/public/open", Public),
    r("GET", "/api/v1/public/{id}", Public),
    r("GET", "/api/v1/public/{id}/items", Public),
    r(
        "GET",
        "/api/v1/public/{id}/assets/{asset}/thumbnail",
        Public,
    ),
    r("GET", "/api/v1/public/{id}/assets/{asset}/preview", Public),
    r("GET", "/api/v1/public/{id}/assets/{asset}/original", Public),
    r("GET", "/api/v1/public/{id}/assets/{asset}/playback", Public),
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
