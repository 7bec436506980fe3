//! Encrypted columns of the catalog: every field ciphertext is bound to its
//! owner, table, column and row (see `pixelunion_vault::field`). The table
//! and column come from [`Column`], one typed list, never a string literal at
//! the call site, so a value can only be opened where it was sealed.

use pixelunion_vault::field::{self, FieldContext};
use pixelunion_vault::{DataKey, VaultError};
use zeroize::Zeroizing;

/// A column that holds field ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `assets.file_name`: the original file name
    AssetFileName,
    /// `assets.caption`
    AssetCaption,
    /// `assets.metadata`: EXIF/XMP/ffprobe facts as JSON
    AssetMetadata,
    /// `albums.name`
    AlbumName,
    /// `uploads.file_name`: a resumable upload's file name
    UploadFileName,
    /// `users.email`
    UserEmail,
    /// `users.totp_secret`
    UserTotpSecret,
    /// a TOTP enrolment ticket (handed to the client, never stored)
    UserTotpEnrolment,
    /// `sessions.client`: "ip · user agent"
    SessionClient,
    /// `api_tokens.name`
    ApiTokenName,
    /// `audit_events.client`: "ip · user agent" (system key)
    AuditClient,
    /// `export_entries.entry`: an archive entry's CRC-32, time and path
    ExportEntry,
    /// `exports.metadata_entry`: the metadata document's CRC-32, time and length
    ExportMetadata,
    /// `incidents.details`: an incident's description as JSON (system key)
    IncidentDetails,
    /// `incident_events.note` (system key)
    IncidentNote,
    /// `incident_messages.recipient` (system key)
    IncidentRecipient,
    /// `incident_messages.subject` (system key)
    IncidentSubject,
    /// `incident_messages.body` (system key)
    IncidentBody,
    /// `role_requests.reason` (system key)
    RoleRequestReason,
    /// `album_shares.email`: the address an album is shared with (owner's key)
    ShareEmail,
    /// `links.token`: a public link's token (owner's key)
    LinkToken,
    /// `users.display_name`
    UserDisplayName,
}

impl Column {
    /// Every column (for tests).
    pub const ALL: [Column; 22] = [
        Column::AssetFileName,
        Column::AssetCaption,
        Column::AssetMetadata,
        Column::AlbumName,
        Column::UploadFileName,
        Column::UserEmail,
        Column::UserTotpSecret,
        Column::UserTotpEnrolment,
        Column::SessionClient,
        Column::ApiTokenName,
        Column::AuditClient,
        Column::ExportEntry,
        Column::ExportMetadata,
        Column::IncidentDetails,
        Column::IncidentNote,
        Column::IncidentRecipient,
        Column::IncidentSubject,
        Column::IncidentBody,
        Column::RoleRequestReason,
        Column::ShareEmail,
        Column::LinkToken,
        Column::UserDisplayName,
    ];

    /// `(table, column)` as bound into the ciphertext. These names are part
    /// of the stored format: changing one makes existing values unreadable.
    pub const fn names(self) -> (&'static str, &'static str) {
        match self {
            Column::AssetFileName => ("assets", "file_name"),
            Column::AssetCaption => ("assets", "caption"),
            Column::AssetMetadata => ("assets", "metadata"),
            Column::AlbumName => ("albums", "name"),
            Column::UploadFileName => ("uploads", "file_name"),
            Column::UserEmail => ("users", "email"),
            Column::UserTotpSecret => ("users", "totp_secret"),
            Column::UserTotpEnrolment => ("users", "totp_enrolment"),
            Column::SessionClient => ("sessions", "client"),
            Column::ApiTokenName => ("api_tokens", "name"),
            Column::AuditClient => ("audit_events", "client"),
            Column::ExportEntry => ("export_entries", "entry"),
            Column::ExportMetadata => ("exports", "metadata_entry"),
            Column::IncidentDetails => ("incidents", "details"),
            Column::IncidentNote => ("incident_events", "note"),
            Column::IncidentRecipient => ("incident_messages", "recipient"),
            Column::IncidentSubject => ("incident_messages", "subject"),
            Column::IncidentBody => ("incident_messages", "body"),
            Column::RoleRequestReason => ("role_requests", "reason"),
            Column::ShareEmail => ("album_shares", "email"),
            Column::LinkToken => ("links", "token"),
            Column::UserDisplayName => ("users", "display_name"),
        }
    }

    fn context<'a>(self, owner: &'a str, row: &'a str) -> FieldContext<'a> {
        let (table, column) = self.names();
        FieldContext {
            owner: owner.as_bytes(),
            table,
            column,
            row: row.as_bytes(),
        }
    }
}

/// Encrypts `plaintext` for `column` of row `row`, owned by `owner`.
pub fn seal(
    key: &DataKey,
    column: Column,
    owner: &str,
    row: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    field::encrypt(key, &column.context(owner, row), plaintext)
}

/// Encrypts a text value.
pub fn seal_text(
    key: &DataKey,
    column: Column,
    owner: &str,
    row: &str,
    text: &str,
) -> Result<Vec<u8>, VaultError> {
    seal(key, column, owner, row, text.as_bytes())
}

/// Decrypts a value (zeroed when dropped).
pub fn open(
    key: &DataKey,
    column: Column,
    owner: &str,
    row: &str,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    field::decrypt(key, &column.context(owner, row), ciphertext)
}

/// The owner of system-key fields (audit clients, the incident register).
pub const SYSTEM: &str = "system";

/// Decrypts a field sealed under a system key of any keyring version (the
/// ciphertext names it).
pub fn open_system(
    keyring: &pixelunion_vault::keyring::Keyring,
    column: Column,
    row: &str,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let key = keyring.key_for(field::key_id(ciphertext)?)?;
    open(key, column, SYSTEM, row, ciphertext)
}

/// Encrypts a text value under the keyring's system key (owner [`SYSTEM`]).
pub fn seal_system_text(
    keyring: &pixelunion_vault::keyring::Keyring,
    column: Column,
    row: &str,
    text: &str,
) -> Result<Vec<u8>, VaultError> {
    seal_text(keyring.system_key()?, column, SYSTEM, row, text)
}

/// Decrypts what [`seal_system_text`] sealed; `None` when unreadable.
pub fn open_system_text(
    keyring: &pixelunion_vault::keyring::Keyring,
    column: Column,
    row: &str,
    ciphertext: &[u8],
) -> Option<String> {
    let plain = open_system(keyring, column, row, ciphertext).ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

/// Decrypts a text value; `None` when absent or unreadable (a value that
/// does not open is shown as missing, never as an error page).
pub fn open_text(
    key: &DataKey,
    column: Column,
    owner: &str,
    row: &str,
    ciphertext: Option<&[u8]>,
) -> Option<String> {
    let ct = ciphertext?;
    field::decrypt_string(key, &column.context(owner, row), ct)
        .ok()
        .map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixelunion_vault::KeyId;

    #[test]
    fn names_are_unique_and_values_open_only_where_sealed() {
        let mut names: Vec<_> = Column::ALL.iter().map(|c| c.names()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Column::ALL.len());
        let key = DataKey::generate(KeyId::User { generation: 1 }).expect("key");
        let ct = seal_text(&key, Column::AssetCaption, "u1", "a1", "hello").expect("seal");
        assert_eq!(
            open_text(&key, Column::AssetCaption, "u1", "a1", Some(&ct)).as_deref(),
            Some("hello")
        );
        for (col, owner, row) in [
            (Column::AssetFileName, "u1", "a1"),
            (Column::AssetCaption, "u2", "a1"),
            (Column::AssetCaption, "u1", "a2"),
        ] {
            assert_eq!(open_text(&key, col, owner, row, Some(&ct)), None);
        }
    }
}
