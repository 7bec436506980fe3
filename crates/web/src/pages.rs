//! The pages. Each is a shell: layout, navigation, the forms and the empty
//! containers its ES module fills from the JSON API. Nothing here comes from
//! a user but the signed-in account's e-mail (escaped by maud).

use maud::{DOCTYPE, Markup, html};

use crate::assets::url;

/// Which section the navigation highlights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// the timeline
    Photos,
    /// favourites
    Favorites,
    /// albums (list or one album)
    Albums,
    /// the archive
    Archive,
    /// the trash
    Trash,
    /// account settings
    Settings,
    /// administration
    Admin,
    /// none (sign-in, setup, locked, errors)
    None,
}

/// The signed-in account, as the layout shows it.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// e-mail, shown in the header
    pub email: &'a str,
    /// whether the role may open the administration pages
    pub staff: bool,
    /// whether the role has a photo library (staff roles do not)
    pub library: bool,
    /// the CSRF token for this session's state changes
    pub csrf: &'a str,
    /// policies (`privacy`, `security`) changed since the account read them
    pub notices: &'a [&'a str],
}

fn layout(
    title: &str,
    who: Option<Viewer<'_>>,
    active: Section,
    script: &str,
    body: Markup,
) -> Markup {
    let nav = |s: Section, href: &str, label: &str| {
        html! {
            a href=(href) aria-current=[(s == active).then_some("page")] { (label) }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex, nofollow";
                @if let Some(w) = who {
                    meta name="csrf-token" content=(w.csrf);
                }
                title { (title) " · PixelUnion" }
                link rel="icon" href=(url("icon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(url("app.css"));
                script type="module" src=(url(script)) {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" {
                        img src=(url("icon.svg")) alt="" width="28" height="28";
                        span { "PixelUnion" }
                    }
                    @if let Some(w) = who {
                        nav aria-label="Sections" {
                            @if w.library {
                                (nav(Section::Photos, "/", "Photos"))
                                (nav(Section::Favorites, "/favorites", "Favorites"))
                                (nav(Section::Albums, "/albums", "Albums"))
                                (nav(Section::Archive, "/archive", "Archive"))
                                (nav(Section::Trash, "/trash", "Trash"))
                            }
                            (nav(Section::Settings, "/settings", "Settings"))
                            @if w.staff {
                                (nav(Section::Admin, "/admin", "Admin"))
                            }
                        }
                        div.account {
                            span.email title="Signed in as" { (w.email) }
                            button type="button" #sign-out { "Sign out" }
                        }
                    }
                }
                @if let Some(w) = who.filter(|w| !w.notices.is_empty()) {
                    div.notice #policy-notice role="status" {
                        "Our " (w.notices.join(" and ")) " policy has changed. "
                        a href="/policies" { "Read what changed" }
                    }
                }
                main #main tabindex="-1" { (body) }
                @if who.is_some() {
                    (shortcuts())
                }
                div #toast role="status" aria-live="polite" {}
            }
        }
    }
}

/// A published policy, as the policies page shows it.
#[derive(Debug, Clone, Copy)]
pub struct PolicyText<'a> {
    /// `privacy` or `security`
    pub kind: &'a str,
    /// its version
    pub version: i64,
    /// when it was published (RFC 3339)
    pub published: &'a str,
    /// the text
    pub text: &'a str,
}

/// The privacy and security policies in force; a signed-in reader records
/// having read them.
pub fn policies(who: Option<Viewer<'_>>, items: &[PolicyText<'_>]) -> Markup {
    layout(
        "Policies",
        who,
        Section::None,
        "policies.js",
        html! {
            h1 { "Our policies" }
            @if items.is_empty() {
                p { "No policy has been published on this server yet." }
            }
            @for p in items {
                section.card.policy data-kind=(p.kind) data-version=(p.version) {
                    h2 { (if p.kind == "privacy" { "Privacy policy" } else { "Security policy" }) }
                    p.hint { "Version " (p.version) ", published " (p.published) }
                    div.policy-text { (p.text) }
                }
            }
            @if who.is_some() && !items.is_empty() {
                button.primary #policies-read type="button" { "I have read these" }
            }
        },
    )
}

/// The keyboard shortcuts, opened with `?` on every signed-in page.
fn shortcuts() -> Markup {
    let keys: [(&str, &str); 11] = [
        ("?", "Show this list"),
        ("u", "Upload photos and videos"),
        ("Enter", "Open the focused photo"),
        ("← →", "Previous / next photo in the viewer"),
        ("Esc", "Close the viewer or this list"),
        ("i", "Show or hide the photo's information"),
        ("f", "Favorite or unfavorite"),
        ("z", "Zoom in or out"),
        ("d", "Download the original"),
        ("Delete", "Move to the trash"),
        ("Ctrl + A", "Select everything loaded (in the timeline)"),
    ];
    html! {
        dialog.help #shortcuts aria-labelledby="shortcuts-title" {
            h2 #shortcuts-title { "Keyboard shortcuts" }
            dl.facts {
                @for (k, what) in keys {
                    dt { kbd { (k) } }
                    dd { (what) }
                }
            }
            form method="dialog" .actions {
                button.primary type="submit" { "Close" }
            }
        }
    }
}

/// Sign-in: e-mail and password, then (when enrolled) the authenticator
/// code or a recovery code. `fingerprint` is the SHA-256 of the server's
/// certificate, for people checking a self-signed one.
pub fn login(fingerprint: &str, recovery: bool) -> Markup {
    layout(
        "Sign in",
        None,
        Section::None,
        "login.js",
        html! {
            section.card.narrow {
                h1 { "Sign in" }
                form #login novalidate {
                    div #step-password {
                        label for="email" { "E-mail" }
                        input #email name="email" type="email" autocomplete="username" required autofocus;
                        label for="password" { "Password" }
                        input #password name="password" type="password" autocomplete="current-password" required;
                    }
                    div #step-code hidden {
                        p { "Enter the 6-digit code from your authenticator app." }
                        label for="totp" { "Authenticator code" }
                        input #totp name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6";
                        details {
                            summary { "Use a recovery code instead" }
                            label for="recovery" { "Recovery code" }
                            input #recovery name="recovery" autocomplete="off";
                        }
                    }
                    p.error #login-error role="alert" {}
                    button.primary type="submit" { "Sign in" }
                }
                @if recovery {
                    p.hint { a href="/recover" { "Forgot your password?" } }
                }
                @if !fingerprint.is_empty() {
                    details.help-text #certificate {
                        summary { "Did your browser warn about this site's certificate?" }
                        p { "A PixelUnion server that has no certificate from a public authority makes its own. Browsers warn about such a certificate once, because they cannot check who made it. It is safe to continue only if the fingerprint your browser shows for the certificate (click the address bar's site information, then the certificate) is exactly this one, which the server also printed when it started:" }
                        p { code #fingerprint { (fingerprint) } }
                        p { "Your administrator can give the server a real certificate (see the README, “The certificate”), or you can trust this one on your devices." }
                    }
                }
            }
        },
    )
}

/// First sign-in: a new password, then authenticator enrolment (QR code,
/// first code, recovery codes shown once).
pub fn setup(who: Viewer<'_>, password: bool, mfa: bool) -> Markup {
    layout(
        "Set up your account",
        Some(who),
        Section::None,
        "setup.js",
        html! {
            section.card.narrow #setup data-password=(password) data-mfa=(mfa) {
                h1 { "Set up your account" }
                form #new-password hidden {
                    h2 { "Choose your own password" }
                    p { "The password you were given works only once. Pick a long one you do not use anywhere else." }
                    label for="current" { "Password you were given" }
                    input #current type="password" autocomplete="current-password" required;
                    label for="fresh" { "New password" }
                    input #fresh type="password" autocomplete="new-password" minlength="12" required aria-describedby="fresh-hint";
                    p.hint #fresh-hint { "At least 12 characters, not your e-mail address. A few unrelated words make a strong one." }
                    p.error role="alert" {}
                    button.primary type="submit" { "Save password" }
                }
                form #enrol hidden {
                    h2 { "Add an authenticator" }
                    p { "Your account needs a second factor. Confirm your password to get a QR code for an authenticator app." }
                    label for="enrol-password" { "Password" }
                    input #enrol-password type="password" autocomplete="current-password" required;
                    p.error role="alert" {}
                    button.primary type="submit" { "Show QR code" }
                }
                form #confirm hidden {
                    h2 { "Scan, then enter a code" }
                    img #qr alt="QR code for your authenticator app" width="220" height="220";
                    p { "Or type this key into the app:" }
                    div.keybox {
                        code #secret {}
                        button type="button" #copy-secret { "Copy key" }
                    }
                    label for="first-code" { "Code from the app" }
                    input #first-code inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required;
                    p.error role="alert" {}
                    button.primary type="submit" { "Confirm" }
                }
                div #codes hidden {
                    h2 { "Your recovery codes" }
                    p { "Each works once if you lose your authenticator. Keep them somewhere safe: they are not shown again." }
                    ol.codes #code-list {}
                    div.actions.left {
                        button type="button" #codes-copy { "Copy" }
                        button type="button" #codes-download { "Download" }
                        button type="button" #codes-print { "Print" }
                    }
                    label.check {
                        input #codes-saved type="checkbox";
                        " I have saved my recovery codes somewhere safe"
                    }
                    button.primary type="button" #codes-done disabled { "Continue" }
                }
            }
        },
    )
}

/// Which items a library page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View<'a> {
    /// everything but archive and trash
    Timeline,
    /// favourites
    Favorites,
    /// the archive
    Archive,
    /// the trash
    Trash,
    /// one album (its id)
    Album(&'a str),
}

/// The grid of thumbnails (timeline, favourites, archive, trash, an album)
/// with upload, selection, the date scrubber and the viewer.
pub fn library(who: Viewer<'_>, view: View<'_>) -> Markup {
    let (title, section, filter, album) = match view {
        View::Timeline => ("Photos", Section::Photos, "", ""),
        View::Favorites => ("Favorites", Section::Favorites, "favorite=true", ""),
        View::Archive => ("Archive", Section::Archive, "archived=true", ""),
        View::Trash => ("Trash", Section::Trash, "trashed=true", ""),
        View::Album(id) => ("Album", Section::Albums, "", id),
    };
    let trash = view == View::Trash;
    layout(
        title,
        Some(who),
        section,
        "library.js",
        html! {
            div.library #library data-filter=(filter) data-album=(album) data-view=(title.to_ascii_lowercase()) {
                div.toolbar {
                    h1 #title { (title) }
                    @if let View::Album(_) = view {
                        p.hint #album-owner hidden {}
                        button type="button" #share-button hidden { "Share" }
                        button type="button" #leave-button hidden { "Leave album" }
                    }
                    @if trash {
                        p.hint { "Items here are deleted for good 30 days after they were trashed." }
                        button type="button" #empty-trash { "Empty trash" }
                    } @else {
                        @if view == View::Timeline {
                            form #search-form role="search" {
                                label.visually-hidden for="search" { "Search your photos and videos" }
                                input #search type="search" name="q" list="search-suggestions" maxlength="200" autocomplete="off" placeholder="Search: beach 2019, a camera…";
                                datalist #search-suggestions {}
                            }
                        }
                        button.primary type="button" #upload-button aria-keyshortcuts="u" { "Upload" }
                        input #file-input type="file" multiple accept="image/*,video/*" hidden tabindex="-1";
                    }
                    button type="button" #layout-toggle aria-pressed="false" title="Show whole photos in rows, or square tiles" { "Square tiles" }
                    button type="button" .icon #help-button aria-label="Keyboard shortcuts (?)" aria-keyshortcuts="?" { "?" }
                }
                div.selection #selection hidden role="toolbar" aria-label="Selection" {
                    span #selection-count {}
                    @if trash {
                        button type="button" data-action="restore" { "Restore" }
                        button type="button" data-action="purge" { "Delete forever" }
                    } @else {
                        button type="button" data-action="download" { "Download" }
                        button type="button" data-action="favorite" { "Favorite" }
                        button type="button" data-action="unfavorite" { "Unfavorite" }
                        @if view == View::Archive {
                            button type="button" data-action="unarchive" { "Unarchive" }
                        } @else {
                            button type="button" data-action="archive" { "Archive" }
                        }
                        button type="button" data-action="album" { "Add to album" }
                        button type="button" data-action="link" { "Share link" }
                        @if let View::Album(_) = view {
                            button type="button" data-action="remove" { "Remove from album" }
                        }
                        button type="button" data-action="trash" { "Move to trash" }
                    }
                    button type="button" data-action="clear" { "Clear selection" }
                }
                div.timeline-wrap {
                    section #grid aria-label="Photos and videos" {}
                    nav.scrubber #scrubber aria-label="Jump to a month" {}
                }
                p.empty #empty hidden {
                    @if trash {
                        "The trash is empty."
                    } @else {
                        "Nothing here yet. Drop photos and videos anywhere on this page, or choose Upload."
                    }
                }
                div #sentinel aria-hidden="true" {}
                section.uploads #uploads hidden aria-label="Uploads" {
                    header {
                        h2 #upload-summary { "Uploads" }
                        button type="button" #uploads-close aria-label="Close the upload list" { "✕" }
                    }
                    ul #upload-list {}
                }
                div.drop #drop hidden { p { "Drop photos and videos to upload them" } }
            }
            (viewer())
            (album_picker())
            (share_dialog())
        },
    )
}

/// Sharing an album with people, and public links to an album or a
/// selection.
fn share_dialog() -> Markup {
    html! {
        dialog.picker.share #share-dialog aria-labelledby="share-title" {
            h2 #share-title { "Share" }
            section #share-people {
                h3 { "People" }
                p.hint { "They see this album in “Shared with me”. Contributors can add their own photos; they stay theirs." }
                form #share-form {
                    label.visually-hidden for="share-email" { "E-mail address" }
                    input #share-email type="email" required maxlength="254" placeholder="name@example.org" autocomplete="off";
                    label.visually-hidden for="share-role" { "Role" }
                    select #share-role {
                        option value="viewer" { "Can view" }
                        option value="contributor" { "Can add photos" }
                    }
                    button.primary type="submit" { "Share" }
                }
                ul.shares #share-list {}
            }
            section #share-links {
                h3 { "Public links" }
                p.hint { "Anyone with a link can open it without an account. Place, date, camera and file names are left out unless you include them." }
                ul.shares #link-list {}
                form #link-form {
                    label { input #link-download type="checkbox"; " Allow downloads" }
                    label { input #link-keep type="checkbox"; " Include place, date, camera and file names" }
                    label for="link-password" { "Password (optional)" }
                    input #link-password type="password" minlength="8" maxlength="200" autocomplete="new-password";
                    label for="link-days" { "Stops working after (days, optional)" }
                    input #link-days type="number" min="1" max="3650";
                    button.primary type="submit" { "Create link" }
                }
            }
            p.error #share-error role="alert" {}
            div.actions {
                button type="button" #share-close { "Done" }
            }
        }
    }
}

/// The page a public link opens (`/s#TOKEN`), for people without an
/// account: the token stays in the address's fragment, which browsers never
/// send; the page opens the link with it and shows its photos and videos.
pub fn link() -> Markup {
    layout(
        "Shared",
        None,
        Section::None,
        "link.js",
        html! {
            div.library #link-page {
                div.toolbar {
                    h1 #link-title { "Shared photos" }
                    p.hint #link-owner {}
                }
                form.narrow #link-unlock hidden {
                    p { "This link is protected by a password." }
                    label for="link-pass" { "Password" }
                    input #link-pass type="password" required autocomplete="off";
                    button.primary type="submit" { "Open" }
                }
                p.error #link-error role="alert" {}
                section.link-grid #link-grid aria-label="Photos and videos" {}
                button type="button" #link-more hidden { "Show more" }
            }
            dialog.viewer #link-viewer aria-label="Viewer" {
                div.stage {
                    img #lv-img alt="";
                    video #lv-video controls preload="metadata" playsinline hidden {}
                }
                div.viewer-bar role="toolbar" aria-label="Photo" {
                    button type="button" #lv-close aria-label="Close (Esc)" { "✕" }
                    button type="button" #lv-prev aria-label="Previous (←)" { "‹" }
                    button type="button" #lv-next aria-label="Next (→)" { "›" }
                    a.button #lv-download download="" hidden { "Download" }
                }
            }
        },
    )
}

fn viewer() -> Markup {
    html! {
        dialog.viewer #viewer aria-label="Viewer" {
            div.stage #stage {
                img #view-img alt="";
                video #view-video controls preload="metadata" playsinline hidden {}
                p.stage-note #view-note hidden role="status" {}
            }
            aside.info #view-info hidden aria-label="Information" {
                h2 { "Information" }
                dl {
                    dt { "Taken" } dd #info-date {}
                    dt { "File" } dd #info-name {}
                    dt { "Size" } dd #info-size {}
                    dt { "Dimensions" } dd #info-dims {}
                    dt { "Camera" } dd #info-camera {}
                    dt { "Lens" } dd #info-lens {}
                    dt { "Exposure" } dd #info-exposure {}
                    dt { "Place" } dd #info-place {}
                }
            }
            div.viewer-bar role="toolbar" aria-label="Photo" {
                button type="button" #view-close aria-label="Close (Esc)" title="Close (Esc)" { "✕" }
                button type="button" #view-prev aria-label="Previous (←)" title="Previous (←)" { "‹" }
                button type="button" #view-next aria-label="Next (→)" title="Next (→)" { "›" }
                button type="button" #view-zoom aria-pressed="false" title="Zoom (z)" { "Zoom" }
                button type="button" #view-fav aria-pressed="false" title="Favorite (f)" { "♡ Favorite" }
                a.button #view-download download="" title="Download the original (d)" { "Download" }
                button type="button" #view-cover hidden { "Set as album cover" }
                button type="button" #view-trash title="Move to trash (Delete)" { "Move to trash" }
                button type="button" #view-purge hidden { "Delete forever" }
                button type="button" #view-info-toggle aria-expanded="false" aria-controls="view-info" title="Information (i)" { "Info" }
            }
        }
    }
}

fn album_picker() -> Markup {
    html! {
        dialog.picker #album-picker aria-labelledby="picker-title" {
            form method="dialog" #picker-form {
                h2 #picker-title { "Add to album" }
                ul #picker-list {}
                label for="picker-new" { "Or a new album" }
                input #picker-new maxlength="200" placeholder="Album name";
                div.actions {
                    button type="submit" value="cancel" { "Cancel" }
                    button.primary type="submit" value="ok" #picker-ok { "Add" }
                }
            }
        }
    }
}

/// The album list, with a form to make one.
pub fn albums(who: Viewer<'_>) -> Markup {
    layout(
        "Albums",
        Some(who),
        Section::Albums,
        "albums.js",
        html! {
            div.toolbar {
                h1 { "Albums" }
                form #new-album {
                    label.visually-hidden for="album-name" { "New album name" }
                    input #album-name maxlength="200" placeholder="New album name" required;
                    button.primary type="submit" { "Create album" }
                }
            }
            p.error #albums-error role="alert" {}
            ul.albums #album-list {}
            p.empty #albums-empty hidden { "No albums yet. Select photos in the timeline and choose “Add to album”, or create one here." }
            section #shared-section hidden {
                h2 { "Shared with me" }
                ul.albums #shared-list {}
            }
        },
    )
}

/// Account settings: password, authenticator, sessions, API tokens.
pub fn settings(who: Viewer<'_>) -> Markup {
    layout(
        "Settings",
        Some(who),
        Section::Settings,
        "settings.js",
        html! {
            h1 { "Settings" }
            section.card {
                h2 { "Your name" }
                p { "Shown to the people you share albums and links with (your e-mail address when empty)." }
                form #profile-form {
                    label for="display-name" { "Display name" }
                    input #display-name maxlength="80" autocomplete="name";
                    p.error role="alert" {}
                    button.primary type="submit" { "Save" }
                }
            }
            section.card {
                h2 { "Password" }
                form #password-form {
                    label for="pw-current" { "Current password" }
                    input #pw-current type="password" autocomplete="current-password" required;
                    label for="pw-new" { "New password" }
                    input #pw-new type="password" autocomplete="new-password" minlength="12" required;
                    p.error role="alert" {}
                    button.primary type="submit" { "Change password" }
                }
            }
            section.card {
                h2 { "Two-step sign-in" }
                p #mfa-state {}
                a.button href="/setup?mfa=1" #mfa-enrol { "Set up an authenticator" }
            }
            section.card {
                h2 { "Sessions" }
                p { "Where you are signed in. Ending a session signs that device out." }
                ul.rows #session-list {}
                button type="button" #revoke-others { "Sign out everywhere else" }
            }
            section.card {
                h2 { "API tokens" }
                p { "For phone backup apps and scripts. A token is shown once." }
                form #token-form {
                    label for="token-name" { "Name" }
                    input #token-name maxlength="100" required placeholder="e.g. My phone";
                    label for="token-scope" { "Access" }
                    select #token-scope {
                        option value="upload" { "Upload only" }
                        option value="read" { "Read the library" }
                        option value="full" { "Full library access" }
                    }
                    button.primary type="submit" { "Create token" }
                }
                p.secret #token-new hidden {}
                ul.rows #token-list {}
            }
            @if who.library {
                section.card {
                    h2 { "Storage" }
                    p #usage { "…" }
                    progress #usage-bar max="100" value="0" hidden aria-label="Share of your storage quota used" {}
                }
            }
            section.card #security-card {
                h2 { "Security activity" }
                p { "Recent sign-ins, password and authenticator changes, and anything staff did to your account." }
                label.check {
                    input #alerts type="checkbox";
                    " E-mail me when my account is signed in to from a new device"
                }
                ul.rows #security-events {}
            }
            section.card #data-card {
                h2 { "Your data" }
                p {
                    "Download everything: every original, byte for byte, in a folder per month, with "
                    code { "metadata.json" } " holding captions, albums, favourites and the details read from each file. "
                    "A large library takes a while to prepare; the download can be resumed."
                }
                div.actions {
                    @if who.library {
                        button.primary #export-start type="button" { "Export my library" }
                    }
                    button #access-report type="button" { "Download what is stored about my account" }
                }
                ul.rows #export-list {}
                p.hint #dpo {}
            }
            section.card #delete-card {
                h2 { "Delete my account" }
                p {
                    "Your account is closed at once and, after a grace period, deleted for good with every photo, "
                    "video and album — from this service and its backups. Export first if you want a copy."
                }
                form #delete-form {
                    label for="del-password" { "Password" }
                    input #del-password type="password" autocomplete="current-password" required;
                    label for="del-code" { "Authenticator code (if you use one)" }
                    input #del-code inputmode="numeric" autocomplete="one-time-code" maxlength="8";
                    label for="del-confirm" { "Type " strong { "delete my account" } " to confirm" }
                    input #del-confirm required autocomplete="off";
                    p.error role="alert" {}
                    button.danger type="submit" { "Delete my account" }
                }
            }
        },
    )
}

/// What the signed-in role may see on the administration page (separation
/// of duties: each card is shown to the role that may read it, and the page
/// asks the API only for those).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminView<'a> {
    /// the role's name, as the page tells it
    pub role: &'a str,
    /// accounts and their state (admin, support)
    pub accounts: bool,
    /// invitations and role changes (admin)
    pub manage: bool,
    /// jobs and storage totals (operator)
    pub operate: bool,
    /// the backup card (operators, or anyone on the server's own machine)
    pub backup: bool,
    /// the incident register (security officers)
    pub incidents: bool,
}

/// Administration: accounts and roles, invitations, system status and jobs.
/// No photo, name or metadata of anyone appears here.
pub fn admin(who: Viewer<'_>, can: AdminView<'_>) -> Markup {
    let elsewhere: Vec<&str> = [
        (!can.operate).then_some("the job queue and storage totals are shown to operators"),
        (!can.backup).then_some("backups to operators (and on the server's own machine)"),
        (!can.accounts).then_some("accounts to admins and support"),
        (!can.manage).then_some("invitations and role changes to admins"),
        (!can.incidents)
            .then_some("the audit trail and the incident register to security officers"),
    ]
    .into_iter()
    .flatten()
    .collect();
    layout(
        "Admin",
        Some(who),
        Section::Admin,
        "admin.js",
        html! {
            h1 { "Administration" }
            div #admin data-accounts=(can.accounts) data-manage=(can.manage) data-operate=(can.operate) data-backup=(can.backup) data-incidents=(can.incidents) {
                p.hint #duties {
                    "Signed in as " strong { (can.role) } ". Duties are separated: " (elsewhere.join("; ")) "."
                }
                section.card {
                    h2 { "System" }
                    dl.facts #system {}
                }
                @if can.backup {
                    section.card #backup-card {
                        h2 { "Backups" }
                        p { "Catalog snapshots and copies of every file in the backup store (ciphertext only; it never holds a key)." }
                        dl.facts #backup {}
                        div.actions {
                            button #backup-snapshot type="button" { "Take a snapshot now" }
                            button #backup-verify type="button" { "Verify the backup" }
                        }
                        p #backup-result role="status" {}
                    }
                }
                @if can.operate {
                    section.card {
                        h2 { "Background jobs" }
                        p { "Counts by kind and state; failed jobs show their reason (never a file name or content)." }
                        table #jobs { thead { tr { th { "Kind" } th { "State" } th { "Count" } } } tbody {} }
                        ul.rows #dead-jobs {}
                    }
                }
                @if can.accounts {
                    section.card {
                        h2 { "Accounts" }
                        table #users { thead { tr { th { "E-mail" } th { "Role" } th { "Two-step" } th { "Status" } } } tbody {} }
                    }
                }
                @if can.manage {
                    section.card {
                        h2 { "Invite someone" }
                        form #invite-form {
                            label for="invite-email" { "E-mail (optional: only this address may accept)" }
                            input #invite-email type="email" autocomplete="off" maxlength="254";
                            p.hint { "Every new account starts as a user; a privileged role is then asked for below and approved by a second administrator." }
                            button.primary type="submit" { "Create invitation" }
                        }
                        div #invite-new hidden {
                            p { "Send this single-use link to the person (it is shown once and expires in 72 hours):" }
                            div.keybox {
                                code #invite-link {}
                                button type="button" #invite-copy { "Copy link" }
                            }
                        }
                    }
                }
                @if can.manage {
                    section.card #grants-card {
                        h2 { "Role requests" }
                        p.hint #review-flag role="status" {}
                        p { "A privileged role is granted only when a second administrator approves a request — never the one who asked, never the person who would hold it — within 72 hours. Every grant ends (then the account is a user again); nobody is ever given access because of an e-mail or a phone call." }
                        ul.rows #role-requests {}
                    }
                }
                @if can.manage {
                    section.card #policies-card {
                        h2 { "Policies" }
                        p { "Publish a new version of the privacy or security policy. Every account is shown it at its next sign-in (and e-mailed where SMTP is set up); the version each person has read is recorded." }
                        ul.rows #policy-versions {}
                        form #policy-form {
                            label for="policy-kind" { "Policy" }
                            select #policy-kind {
                                option value="privacy" { "Privacy policy" }
                                option value="security" { "Security policy" }
                            }
                            label for="policy-text" { "Full text of the new version" }
                            textarea #policy-text rows="8" required maxlength="100000" {}
                            button.primary type="submit" { "Publish this version" }
                        }
                    }
                }
                @if can.manage {
                    section.card #deletions-card {
                        h2 { "Account deletions" }
                        p { "Closed accounts waiting for their purge. Until then a deletion can be stopped." }
                        ul.rows #deletions {}
                    }
                }
                @if can.incidents {
                    section.card #audit-card {
                        h2 { "Audit trail" }
                        p { "Every sign-in and privileged action is chained with a MAC keyed from the keyring; checkpoints are signed with the audit key (public key above) and kept in the backup store, so a changed, removed, inserted, reordered or cut-off entry is found — here, or outside the server with the public key." }
                        dl.facts #audit-report {}
                        div.actions {
                            button #audit-verify type="button" { "Verify the trail" }
                            button #audit-checkpoint type="button" { "Sign a checkpoint now" }
                        }
                        ul.rows #audit-problems {}
                        form #audit-export {
                            h3 { "Export for a SIEM (JSON lines)" }
                            label for="audit-since" { "From (optional)" }
                            input #audit-since type="date";
                            label for="audit-until" { "Until (optional)" }
                            input #audit-until type="date";
                            button type="submit" { "Download" }
                        }
                        h3 { "Latest events" }
                        table #audit-events { thead { tr { th { "When" } th { "Action" } th { "Outcome" } th { "By" } th { "On" } } } tbody {} }
                    }
                    section.card #reviews-card {
                        h2 { "Access reviews" }
                        p { "Each quarter every account holding a privileged role is reviewed: confirm what is still needed, revoke the rest (the role ends at once). A finished review can be downloaded." }
                        div.actions {
                            button #review-open type="button" { "Open a review now" }
                        }
                        p #review-summary role="status" {}
                        table #review-lines { thead { tr { th { "Account" } th { "Role" } th { "Last sign-in" } th { "Two-step" } th { "Last used" } th { "Decision" } } } tbody {} }
                        ul.rows #reviews {}
                    }
                    section.card #incidents-card {
                        h2 { "Incidents" }
                        p #breach-clocks role="status" {}
                        form #incident-form {
                            label for="inc-title" { "Title" }
                            input #inc-title required maxlength="200";
                            label for="inc-severity" { "Severity" }
                            select #inc-severity {
                                option value="low" { "Low" }
                                option value="medium" { "Medium" }
                                option value="high" selected { "High" }
                                option value="critical" { "Critical" }
                            }
                            label for="inc-summary" { "What is known" }
                            textarea #inc-summary rows="3" maxlength="20000" {}
                            button.primary type="submit" { "Open an incident" }
                        }
                        ul.rows #incidents {}
                        div #incident hidden {
                            h3 #incident-title {}
                            dl.facts #incident-facts {}
                            div.actions {
                                button #inc-breach type="button" { "Confirm a personal-data breach" }
                                button #inc-affected type="button" { "Find affected accounts…" }
                                button #inc-revoke type="button" { "Revoke all API tokens" }
                                button #inc-sessions type="button" { "End all sessions" }
                                button #inc-rotate type="button" { "Rotate the keyring" }
                                button.danger #inc-seal type="button" { "Seal the server" }
                            }
                            form #breach-form {
                                h3 { "Breach facts (for the notifications)" }
                                label for="br-nature" { "Nature of the breach" }
                                textarea #br-nature rows="2" {}
                                label for="br-categories" { "Categories of data (comma-separated)" }
                                input #br-categories;
                                label for="br-records" { "Approximate number of records" }
                                input #br-records type="number" min="0";
                                label for="br-consequences" { "Likely consequences" }
                                textarea #br-consequences rows="2" {}
                                label for="br-measures" { "Measures taken" }
                                textarea #br-measures rows="2" {}
                                button type="submit" { "Save the facts" }
                            }
                            form #handling-form {
                                h3 { "Handling" }
                                label for="inc-status" { "Status" }
                                select #inc-status {
                                    option value="open" { "Open" }
                                    option value="contained" { "Contained" }
                                    option value="resolved" { "Resolved" }
                                    option value="closed" { "Closed" }
                                }
                                label for="inc-systems" { "Affected systems (comma-separated)" }
                                input #inc-systems;
                                label for="inc-note" { "A note for the timeline (optional)" }
                                textarea #inc-note rows="2" maxlength="20000" {}
                                button type="submit" { "Save" }
                            }
                            form #review-form {
                                h3 { "Post-incident review" }
                                label for="rv-cause" { "What happened and why (root cause)" }
                                textarea #rv-cause rows="2" maxlength="20000" {}
                                label for="rv-lessons" { "What went well, what did not" }
                                textarea #rv-lessons rows="2" maxlength="20000" {}
                                label for="rv-actions" { "Follow-up actions" }
                                textarea #rv-actions rows="2" maxlength="20000" {}
                                button type="submit" { "Save the review" }
                            }
                            h3 { "Notifications" }
                            pre #inc-draft {}
                            div.actions {
                                button.primary #inc-notify type="button" { "Send to the affected users and the authority" }
                            }
                            h3 { "Timeline" }
                            ul.rows #inc-timeline {}
                            h3 { "Messages" }
                            ul.rows #inc-messages {}
                        }
                    }
                }
                p.error #admin-error role="alert" {}
            }
        },
    )
}

/// Accepting an invitation: the code travels in the URL's fragment (never
/// sent to the server in a request line or a log), the person picks their
/// e-mail (when the invitation did not fix it) and a password.
pub fn invite() -> Markup {
    layout(
        "Join",
        None,
        Section::None,
        "invite.js",
        html! {
            section.card.narrow {
                h1 { "Create your account" }
                form #invite {
                    label for="inv-email" { "E-mail" }
                    input #inv-email type="email" autocomplete="username" required autofocus;
                    label for="inv-password" { "Password" }
                    input #inv-password type="password" autocomplete="new-password" minlength="12" required;
                    p.hint { "At least 12 characters. A few unrelated words make a strong one." }
                    p.error role="alert" {}
                    button.primary type="submit" { "Create account" }
                }
            }
        },
    )
}

/// E-mail recovery: ask for a link, or (with the link's code in the
/// fragment) set a new password or cancel the recovery.
pub fn recover() -> Markup {
    layout(
        "Recover your account",
        None,
        Section::None,
        "recover.js",
        html! {
            section.card.narrow {
                h1 { "Recover your account" }
                form #recover-ask {
                    p { "We e-mail the account's owner a link. For your safety it works only after a delay, and the owner is told and can cancel it. Nobody at PixelUnion will ever ask you for it." }
                    label for="rec-email" { "E-mail" }
                    input #rec-email type="email" autocomplete="username" required;
                    p.error role="alert" {}
                    button.primary type="submit" { "Send the link" }
                }
                form #recover-set hidden {
                    label for="rec-password" { "New password" }
                    input #rec-password type="password" autocomplete="new-password" minlength="12" required;
                    p.hint { "At least 12 characters. Your two-step verification stays as it is." }
                    p.error role="alert" {}
                    button.primary type="submit" { "Set the new password" }
                    button #recover-cancel type="button" { "Cancel this recovery" }
                }
                p #recover-done role="status" {}
            }
        },
    )
}

/// The responsible-disclosure policy: how to report a vulnerability, what
/// happens then, the safe-harbour promise, and who has been thanked.
/// `contacts` are `mailto:`/`https:`/`tel:` URIs from the configuration.
pub fn disclosure(contacts: &[String], acknowledgements: &[String]) -> Markup {
    layout(
        "Security and responsible disclosure",
        None,
        Section::None,
        "locked.js",
        html! {
            section.card.prose {
                h1 { "Reporting a security problem" }
                p { "If you believe you have found a vulnerability in this PixelUnion service — anything that could expose someone's photos, videos, account or keys — please tell us. We welcome reports from everyone, customers and researchers alike." }
                h2 { "How to report" }
                ul {
                    @for c in contacts {
                        li {
                            @if let Some(mail) = c.strip_prefix("mailto:") {
                                "E-mail: " a href=(c) { (mail) }
                            } @else if let Some(tel) = c.strip_prefix("tel:") {
                                "Telephone: " (tel)
                            } @else {
                                "Web: " a href=(c) rel="noopener" { (c) }
                            }
                        }
                    }
                }
                p { "Describe what you found, how to reproduce it, and what an attacker could do with it. Do not include other people's data; a description of what you could reach is enough. The same contacts are published in " a href="/.well-known/security.txt" { "/.well-known/security.txt" } " (RFC 9116)." }
                h2 { "What happens next" }
                ol {
                    li { "We confirm that we received your report within 3 working days." }
                    li { "We assess it, tell you what we found and keep you informed while we fix it; a critical problem is handled as an incident at once." }
                    li { "Once it is fixed (we aim for 30 days, sooner for critical problems) we tell you, and, if you wish, thank you by name below." }
                    li { "If people's data was exposed, they and the supervisory authority are told within 72 hours of our learning of it, as our security policy promises." }
                }
                h2 { "Safe harbour" }
                p { "We will not take legal action against you, nor ask anyone else to, for security research done in good faith that follows these guidelines:" }
                ul {
                    li { "only test against your own account and data, or with the explicit consent of the account holder;" }
                    li { "do not access, change or delete other people's data beyond the minimum needed to show the problem, and stop and tell us as soon as you see any;" }
                    li { "do not degrade the service for others (no denial-of-service, no spam, no social engineering of staff or users, no physical attacks);" }
                    li { "give us reasonable time to fix the problem before you publish it, and keep the details confidential until then." }
                }
                p { "If in doubt about whether something is allowed, ask us first at the address above. We consider research following these rules authorised, and we will say so if anyone asks." }
                h2 { "Thanks" }
                @if acknowledgements.is_empty() {
                    p { "No reports yet — you could be the first person we thank here." }
                } @else {
                    ul {
                        @for a in acknowledgements {
                            li { (a) }
                        }
                    }
                }
            }
        },
    )
}

/// Shown while the server is sealed: not an error, a state.
pub fn locked() -> Markup {
    layout(
        "Locked",
        None,
        Section::None,
        "locked.js",
        html! {
            section.card.narrow.locked {
                h1 { "Locked — waiting for unseal" }
                p { "This PixelUnion server has just started and its key is not in memory yet, so nothing can be read. An operator unlocks it with the unseal key shares (" code { "pixelunion unseal" } ")." }
                p #unseal-progress {}
                p { "This page reloads by itself once the server is unsealed." }
            }
        },
    )
}

/// A page that does not exist.
pub fn not_found() -> Markup {
    layout(
        "Not found",
        None,
        Section::None,
        "locked.js",
        html! {
            section.card.narrow {
                h1 { "Nothing here" }
                p { "This page does not exist. " a href="/" { "Go to your photos" } "." }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Viewer<'static> {
        Viewer {
            email: "ann<script>@example.org",
            staff: false,
            library: true,
            csrf: "abc123",
            notices: &[],
        }
    }

    #[test]
    fn a_changed_policy_is_announced_on_every_page() {
        let v = Viewer {
            notices: &["privacy"],
            ..who()
        };
        let s = settings(v).into_string();
        assert!(s.contains("Our privacy policy has changed"), "{s}");
        assert!(s.contains("href=\"/policies\""));
        assert!(!settings(who()).into_string().contains("policy-notice"));
    }

    #[test]
    fn pages_have_no_inline_code_and_escape_the_email() {
        let pages = [
            login("AB:CD", false),
            setup(who(), true, true),
            library(who(), View::Timeline),
            library(who(), View::Trash),
            library(who(), View::Album("a1")),
            albums(who()),
            settings(who()),
            admin(who(), AdminView::default()),
            admin(
                who(),
                AdminView {
                    role: "admin",
                    accounts: true,
                    manage: true,
                    operate: true,
                    backup: true,
                    incidents: true,
                },
            ),
            locked(),
            not_found(),
            invite(),
            link(),
            disclosure(
                &["mailto:security@example.org".into()],
                &["<b>Ann</b>".into()],
            ),
        ];
        for p in pages {
            let s = p.into_string();
            assert!(s.starts_with("<!DOCTYPE html>"));
            assert!(!s.contains("<script>"), "inline script");
            assert!(!s.contains(" style="), "inline style");
            let handler = s.match_indices(" on").any(|(i, _)| {
                let rest = &s[i + 3..];
                let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
                name_len > 0 && rest[name_len..].starts_with('=')
            });
            assert!(!handler, "inline event handler");
            assert!(!s.contains("ann<script>"), "unescaped e-mail");
            assert!(
                s.contains(r#"<meta name="robots" content="noindex, nofollow">"#),
                "noindex"
            );
        }
    }

    #[test]
    fn navigation_follows_the_role() {
        let staff = Viewer {
            staff: true,
            library: false,
            ..who()
        };
        let s = settings(staff).into_string();
        assert!(s.contains("href=\"/admin\""));
        assert!(
            !s.contains("href=\"/trash\""),
            "staff roles have no library"
        );
        let s = library(who(), View::Timeline).into_string();
        assert!(!s.contains("href=\"/admin\""));
        assert!(s.contains("aria-current=\"page\""));
    }

    #[test]
    fn the_admin_page_shows_only_what_the_role_may_read() {
        let admin_role = AdminView {
            role: "admin",
            accounts: true,
            manage: true,
            ..AdminView::default()
        };
        let s = admin(who(), admin_role).into_string();
        assert!(s.contains("id=\"users\"") && s.contains("id=\"invite-form\""));
        assert!(!s.contains("id=\"jobs\""), "jobs are for operators");
        assert!(!s.contains("id=\"backup-card\""));
        assert!(s.contains("shown to operators"), "says who sees the rest");
        let operator = AdminView {
            role: "operator",
            operate: true,
            backup: true,
            ..AdminView::default()
        };
        let s = admin(who(), operator).into_string();
        assert!(s.contains("id=\"jobs\"") && s.contains("id=\"backup-card\""));
        assert!(!s.contains("id=\"users\"") && !s.contains("id=\"invite-form\""));
        assert!(s.contains("accounts to admins and support"));
        assert!(
            !s.contains("id=\"incidents-card\""),
            "incidents are the security role's"
        );
        assert!(!s.contains("id=\"audit-card\""), "the audit trail too");
        let security = AdminView {
            role: "security",
            incidents: true,
            ..AdminView::default()
        };
        let s = admin(who(), security).into_string();
        assert!(s.contains("id=\"incidents-card\""));
        assert!(
            s.contains("id=\"audit-card\""),
            "the security role sees the audit trail"
        );
        assert!(!s.contains("id=\"deletions-card\"") && !s.contains("id=\"users\""));
    }

    #[test]
    fn the_sign_in_page_shows_the_certificate_fingerprint() {
        let s = login("AB:CD:EF", false).into_string();
        assert!(!s.contains("href=\"/recover\""));
        assert!(login("", true).into_string().contains("href=\"/recover\""));
        assert!(s.contains("AB:CD:EF"));
        assert!(
            !login("", false)
                .into_string()
                .contains("id=\"fingerprint\"")
        );
    }
}
