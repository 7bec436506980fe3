//! Finding what to upload: the files under the paths given (directories
//! walked recursively, symbolic links to directories not followed, so a
//! loop cannot trap the walk), kept when their extension names a photo or
//! video format the server takes, each with the album its folder stands for.

use std::path::{Path, PathBuf};

/// Extensions of the photo and video formats the server stores (the server
/// still checks the bytes).
const MEDIA: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "gif", "webp", "heic", "heif", "hif", "avif", "tif", "tiff",
    "dng", "cr2", "cr3", "nef", "arw", "orf", "rw2", "raf", "mp4", "m4v", "mov", "3gp", "webm",
    "mkv", "avi", "mts", "m2ts",
];

/// One file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub path: PathBuf,
    /// the album its folder becomes (with `--albums`)
    pub album: Option<String>,
}

/// What the walk found: files to upload, files left out (not a photo or
/// video, by name), and paths that could not be read (with why).
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub files: Vec<Found>,
    pub ignored: usize,
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Whether the name says photo or video.
pub(crate) fn is_media(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA.contains(&e.to_ascii_lowercase().as_str()))
}

/// The album a folder stands for: its name, except Takeout's year folders
/// ("Photos from 2019") and empty or dot names.
pub(crate) fn album_of(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_str()?.trim();
    let year_folder = name
        .strip_prefix("Photos from ")
        .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    (!name.is_empty() && !name.starts_with('.') && !year_folder)
        .then(|| name.chars().take(200).collect())
}

/// Walks `roots` (files are taken as they are, directories recursively), in
/// a stable order (by path).
pub(crate) fn scan(roots: &[PathBuf]) -> Scan {
    let mut out = Scan::default();
    for root in roots {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => walk(root, &mut out),
            Ok(_) if is_media(root) => out.files.push(Found {
                path: root.clone(),
                album: None,
            }),
            Ok(_) => out.ignored += 1,
            Err(e) => out.unreadable.push((root.clone(), e.to_string())),
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    out
}

fn walk(dir: &Path, out: &mut Scan) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.unreadable.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.unreadable.push((dir.to_path_buf(), e.to_string()));
                continue;
            }
        };
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            out.unreadable.push((path, "cannot tell what it is".into()));
            continue;
        };
        if kind.is_dir() {
            subdirs.push(path);
        } else if is_media(&path) {
            // a file, or a link to one (a broken link fails when read)
            out.files.push(Found {
                album: album_of(dir),
                path,
            });
        } else {
            out.ignored += 1;
        }
    }
    subdirs.sort();
    for d in subdirs {
        walk(&d, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_by_extension_any_case() {
        for p in ["a.JPG", "b.heic", "c.Mov", "d.mp4", "x/y.tiff"] {
            assert!(is_media(Path::new(p)), "{p}");
        }
        for p in ["a.json", "b", "c.txt", ".jpg", "d.jpg.json"] {
            assert!(!is_media(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn folders_are_albums_but_takeout_years_are_not() {
        assert_eq!(
            album_of(Path::new("/p/Trip to Rome")).as_deref(),
            Some("Trip to Rome")
        );
        assert_eq!(album_of(Path::new("/p/Photos from 2019")), None);
        assert_eq!(
            album_of(Path::new("/p/Photos from 20199")).as_deref(),
            Some("Photos from 20199")
        );
        assert_eq!(album_of(Path::new("/p/.hidden")), None);
    }

    #[test]
    fn walks_recursively_in_order_without_following_directory_links() -> std::io::Result<()> {
        let t = tempfile::tempdir()?;
        let root = t.path().join("Pictures");
        std::fs::create_dir_all(root.join("Rome/day 2"))?;
        std::fs::write(root.join("b.jpg"), b"x")?;
        std::fs::write(root.join("a.txt"), b"x")?;
        std::fs::write(root.join("Rome/c.mp4"), b"x")?;
        std::fs::write(root.join("Rome/day 2/d.JPG"), b"x")?;
        std::os::unix::fs::symlink(&root, root.join("Rome/loop"))?;
        let s = scan(&[root.clone(), root.join("b.jpg"), t.path().join("missing")]);
        let got: Vec<(String, Option<String>)> = s
            .files
            .iter()
            .map(|f| {
                let rel = f
                    .path
                    .strip_prefix(&root)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                (rel, f.album.clone())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Rome/c.mp4".to_string(), Some("Rome".to_string())),
                ("Rome/day 2/d.JPG".to_string(), Some("day 2".to_string())),
                ("b.jpg".to_string(), Some("Pictures".to_string())),
            ]
        );
        assert_eq!(s.ignored, 2, "a.txt, and the link to a folder (not walked)");
        assert_eq!(s.unreadable.len(), 1, "{:?}", s.unreadable);
        Ok(())
    }
}
