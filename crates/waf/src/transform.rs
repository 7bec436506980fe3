//! Transformations applied to a value before a rule looks at it, in the
//! manner of ModSecurity's `t:` functions. Each is total (never fails, any
//! bytes in), works on text (invalid UTF-8 is replaced, never dropped) and
//! bounded by its input's length.

use serde::Deserialize;

/// One transformation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// lower case
    Lowercase,
    /// `%XX`, `%uXXXX` and `+` decoded (invalid escapes kept as they are)
    UrlDecodeUni,
    /// `&lt;`, `&#60;`, `&#x3c;` and friends decoded
    HtmlEntityDecode,
    /// `\xNN`, `\uNNNN`, `\NNN` (octal) and `\c` decoded
    JsDecode,
    /// NUL characters removed
    RemoveNulls,
    /// runs of white space become one space
    CompressWhitespace,
    /// white space removed
    RemoveWhitespace,
    /// `/* … */` comments removed (SQL, CSS)
    RemoveComments,
    /// `/* … */` comments replaced by a space
    ReplaceComments,
    /// full-width forms (U+FF01–U+FF5E) become their ASCII characters
    NormalizeWidth,
    /// `\`, `"`, `'`, `^` removed, `,` and `;` become spaces, white space
    /// compressed, spaces before `/` and `(` removed, lower case (the
    /// shell's view of a command line)
    CmdLine,
    /// `\` becomes `/`, `/./` and repeated slashes collapse, `a/../` resolves
    NormalizePath,
    /// `\`, `'`, `"` and `^` removed and lower case, separators kept (the
    /// shell's quoting tricks undone: `w'h'o"am"i` is `whoami`)
    ShellUnquote,
}

/// Applies `t` to `s`.
pub fn apply(t: Transform, s: &str) -> String {
    match t {
        Transform::Lowercase => s.to_lowercase(),
        Transform::UrlDecodeUni => url_decode_uni(s),
        Transform::HtmlEntityDecode => html_entity_decode(s),
        Transform::JsDecode => js_decode(s),
        Transform::RemoveNulls => s.replace('\0', ""),
        Transform::CompressWhitespace => compress_whitespace(s),
        Transform::RemoveWhitespace => s.chars().filter(|c| !c.is_whitespace()).collect(),
        Transform::RemoveComments => remove_comments(s),
        Transform::ReplaceComments => remove_comments_with(s, " "),
        Transform::NormalizeWidth => s
            .chars()
            .map(|c| match u32::from(c) {
                cp @ 0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(c),
                0x3000 => ' ',
                _ => c,
            })
            .collect(),
        Transform::CmdLine => cmd_line(s),
        Transform::NormalizePath => normalize_path(s),
        Transform::ShellUnquote => s
            .chars()
            .filter(|c| !matches!(c, '\\' | '\'' | '"' | '^'))
            .flat_map(char::to_lowercase)
            .collect(),
    }
}

/// Whether `t` could change `s` (a cheap scan; false means `apply` would
/// return `s` unchanged, so it is skipped).
fn changes(t: Transform, s: &str) -> bool {
    let has = |c: char| s.contains(c);
    let upper = || s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii();
    match t {
        Transform::Lowercase => upper(),
        Transform::UrlDecodeUni => has('%') || has('+'),
        Transform::HtmlEntityDecode => has('&'),
        Transform::JsDecode => has('\\'),
        Transform::RemoveNulls => has('\0'),
        Transform::CompressWhitespace | Transform::RemoveWhitespace => {
            s.chars().any(|c| c.is_whitespace() || c == '\u{b}')
        }
        Transform::RemoveComments | Transform::ReplaceComments => s.contains("/*"),
        Transform::NormalizeWidth => !s.is_ascii(),
        Transform::ShellUnquote => upper() || s.contains(['\\', '\'', '"', '^']),
        Transform::CmdLine => true,
        Transform::NormalizePath => {
            has('\\')
                || s.contains("/.")
                || s.contains("//")
                || s.starts_with('.')
                || (s.ends_with('/') && s != "/")
        }
    }
}

/// Applies `ts` in order (skipping those that would change nothing); the
/// value itself, borrowed, when none changes it.
pub fn apply_all<'a>(ts: &[Transform], s: &'a str) -> std::borrow::Cow<'a, str> {
    let mut out = std::borrow::Cow::Borrowed(s);
    for t in ts {
        if changes(*t, &out) {
            out = std::borrow::Cow::Owned(apply(*t, &out));
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%XX` (bytes, then UTF-8 with replacement), `%uXXXX` (a code point; the
/// full-width forms IIS maps to ASCII become ASCII) and `+` as space.
pub fn url_decode_uni(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 6 <= b.len() && (b[i + 1] == b'u' || b[i + 1] == b'U') => {
                let cp = (2..6).try_fold(0u32, |acc, k| {
                    hex(b[i + k]).map(|h| acc * 16 + u32::from(h))
                });
                match cp {
                    Some(mut cp) => {
                        if (0xFF01..=0xFF5E).contains(&cp) {
                            cp -= 0xFEE0; // full-width ASCII
                        }
                        let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        i += 6;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'%' if i + 3 <= b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Named (the common ones) and numeric character references; a reference
/// without its `;` is decoded too, as browsers do for numeric ones.
pub fn html_entity_decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, used) = entity(rest);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(s: &str) -> (Option<char>, usize) {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (radix, start) = if matches!(b.get(2), Some(b'x' | b'X')) {
            (16, 3)
        } else {
            (10, 2)
        };
        let digits = b[start..]
            .iter()
            .take_while(|c| {
                if radix == 16 {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count()
            .min(8);
        if digits == 0 {
            return (None, 0);
        }
        let n = u32::from_str_radix(&s[start..start + digits], radix).unwrap_or(0xFFFD);
        let mut used = start + digits;
        if b.get(used) == Some(&b';') {
            used += 1;
        }
        return (Some(char::from_u32(n).unwrap_or('\u{FFFD}')), used);
    }
    const NAMED: [(&str, char); 14] = [
        ("lt", '<'),
        ("gt", '>'),
        ("amp", '&'),
        ("quot", '"'),
        ("apos", '\''),
        ("nbsp", '\u{a0}'),
        ("colon", ':'),
        ("sol", '/'),
        ("lpar", '('),
        ("rpar", ')'),
        ("tab", '\t'),
        ("newline", '\n'),
        ("semi", ';'),
        ("equals", '='),
    ];
    for (name, c) in NAMED {
        let end = 1 + name.len();
        if s.get(1..end).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            let used = if b.get(end) == Some(&b';') {
                end + 1
            } else {
                end
            };
            return (Some(c), used);
        }
    }
    (None, 0)
}

/// JavaScript escapes.
pub fn js_decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let hexval = |cs: &[char]| -> Option<u32> {
        cs.iter()
            .try_fold(0u32, |a, c| c.to_digit(16).map(|d| a * 16 + d))
    };
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            if n == 'x'
                && i + 3 < chars.len()
                && let Some(v) = hexval(&chars[i + 2..i + 4])
            {
                out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                i += 4;
                continue;
            }
            if n == 'u'
                && i + 5 < chars.len()
                && let Some(v) = hexval(&chars[i + 2..i + 6])
            {
                out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                i += 6;
                continue;
            }
            if n.is_digit(8) {
                let len = chars[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| c.is_digit(8))
                    .count();
                let v = chars[i + 1..i + 1 + len]
                    .iter()
                    .fold(0u32, |a, c| a * 8 + c.to_digit(8).unwrap_or(0));
                out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                i += 1 + len;
                continue;
            }
            out.push(match n {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
            i += 2;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn compress_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{b}' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

fn remove_comments(s: &str) -> String {
    remove_comments_with(s, "")
}

fn remove_comments_with(s: &str, with: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        out.push_str(with);
        match rest[at + 2..].find("*/") {
            Some(end) => rest = &rest[at + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn cmd_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '"' | '\'' | '^' => {}
            ',' | ';' => out.push(' '),
            c if c.is_whitespace() => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    let out = compress_whitespace(&out);
    out.replace(" /", "/").replace(" (", "(")
}

fn normalize_path(s: &str) -> String {
    let s = s.replace('\\', "/");
    let absolute = s.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in s.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Transform; 13] = [
        Transform::Lowercase,
        Transform::UrlDecodeUni,
        Transform::HtmlEntityDecode,
        Transform::JsDecode,
        Transform::RemoveNulls,
        Transform::CompressWhitespace,
        Transform::RemoveWhitespace,
        Transform::RemoveComments,
        Transform::ReplaceComments,
        Transform::NormalizeWidth,
        Transform::CmdLine,
        Transform::NormalizePath,
        Transform::ShellUnquote,
    ];

    #[test]
    fn decoders() {
        assert_eq!(url_decode_uni("a%27+or%201%3D1"), "a' or 1=1");
        assert_eq!(url_decode_uni("%u003cscript%uFF1E"), "<script>");
        assert_eq!(url_decode_uni("100%"), "100%");
        assert_eq!(url_decode_uni("%zz%4"), "%zz%4");
        assert_eq!(url_decode_uni("%c3%a9t%C3%A9"), "été");
        assert_eq!(
            html_entity_decode("&lt;img src=x onerror=alert(1)&gt;"),
            "<img src=x onerror=alert(1)>"
        );
        assert_eq!(
            html_entity_decode("&#106;&#x61;vascript&colon;"),
            "javascript:"
        );
        assert_eq!(html_entity_decode("&#106avascript"), "javascript");
        assert_eq!(
            html_entity_decode("Tom & Jerry &unknown;"),
            "Tom & Jerry &unknown;"
        );
        assert_eq!(js_decode("\\x3cscript\\u003e\\101"), "<script>A");
        assert_eq!(cmd_line("C^A\"T /e'tc/pa\\sswd;  id"), "cat/etc/passwd id");
        assert_eq!(
            normalize_path("/a/./b/../../../etc//passwd"),
            "/../etc/passwd"
        );
        assert_eq!(
            normalize_path("..\\..\\windows\\win.ini"),
            "../../windows/win.ini"
        );
        assert_eq!(remove_comments("un/**/ion sel/*x*/ect"), "union select");
        assert_eq!(compress_whitespace("a \t\n b"), "a b");
    }

    proptest::proptest! {
        #[test]
        fn skipping_is_only_for_transforms_that_change_nothing(s in ".{0,80}") {
            for t in ALL {
                if !changes(t, &s) {
                    proptest::prop_assert_eq!(apply(t, &s), s.clone(), "{:?}", t);
                }
            }
        }

        #[test]
        fn transforms_are_total_and_bounded(s in ".{0,200}") {
            for t in ALL {
                let out = apply(t, &s);
                // lower-casing can grow a few characters (e.g. 'İ'); decoders only shrink
                proptest::prop_assert!(out.len() <= s.len() * 3 + 8, "{t:?}");
            }
        }
    }
}
