//! Arguments an exclusion hides from every rule, taken out of a request
//! before it goes to an engine that cannot hide them by name: libmodsecurity
//! 3.0's `ctl:ruleRemoveTarget…` takes exact names only (3.0.9 refuses a
//! regular expression there), and it names a JSON list's items
//! `json.x.array_0`, `json.x.array_1`, … The embedded engine names a value
//! by its path with list positions left out (`breach.nature`,
//! `affected_systems`), and so does this: text the embedded engine never
//! reads, the CRS is never shown (a number stays: it spells no attack).
//!
//! Only exclusions of every rule (no rule ids, no categories) hide a value;
//! an exclusion of some rules leaves it to the engine's own mechanism.

use crate::engine::Exclusion;
use crate::transform::url_decode_uni;

/// The arguments hidden from every rule on requests for `path`.
pub fn hidden_args<'a>(exclusions: &'a [Exclusion], path: &str) -> Vec<&'a str> {
    exclusions
        .iter()
        .filter(|x| !x.arg.is_empty() && x.of_every_rule() && path.starts_with(&x.path_prefix))
        .map(|x| x.arg.as_str())
        .collect()
}

/// `a=b&c=d` without the pairs whose (decoded) name is hidden; the others
/// stay byte for byte.
pub fn strip_pairs(s: &str, sep: char, hidden: &[&str]) -> String {
    let kept: Vec<&str> = s
        .split(sep)
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !hidden.contains(&url_decode_uni(name).as_str())
        })
        .collect();
    kept.join(&sep.to_string())
}

/// A request target without the hidden query arguments.
pub fn strip_target(target: &str, hidden: &[&str]) -> String {
    match target.split_once('?') {
        Some((path, query)) => format!("{path}?{}", strip_pairs(query, '&', hidden)),
        None => target.to_string(),
    }
}

/// A JSON body with the text of every hidden value emptied (names and
/// structure stay, so the rules on names and on the body's shape still
/// apply); `None` if it is not JSON (the engine then sees it as it came).
pub fn strip_json(body: &[u8], hidden: &[&str]) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    walk(&mut v, "", hidden, 0);
    serde_json::to_vec(&v).ok()
}

/// Deepest nesting followed (as the embedded engine's parser).
const MAX_DEPTH: usize = 32;

fn walk(v: &mut serde_json::Value, path: &str, hidden: &[&str], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(child, &p, hidden, depth + 1);
            }
        }
        serde_json::Value::Array(a) => {
            for child in a {
                walk(child, path, hidden, depth + 1);
            }
        }
        serde_json::Value::String(s) if hidden.contains(&path) => s.clear(),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(prefix: &str, arg: &str, categories: &[&str]) -> Exclusion {
        Exclusion {
            path_prefix: prefix.into(),
            arg: arg.into(),
            rules: Vec::new(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn only_whole_exclusions_of_the_path_hide_an_argument() {
        let all = [
            x("/api/v1/", "password", &[]),
            x("/api/v1/", "caption", &["sqli"]),
            x("/api/v1/incidents", "summary", &[]),
            x("/.well-known/", "", &[]),
        ];
        assert_eq!(hidden_args(&all, "/api/v1/auth/login"), vec!["password"]);
        assert_eq!(
            hidden_args(&all, "/api/v1/incidents/7"),
            vec!["password", "summary"]
        );
        assert!(hidden_args(&all, "/admin").is_empty());
    }

    #[test]
    fn hidden_values_leave_json_at_any_depth_and_in_lists() {
        let body = br#"{"password": "1' or 1=1--", "email": "x' or 1=1--",
            "breach": {"nature": "<script>", "other": "<b>"},
            "affected_systems": ["a' or 1=1", "b"], "n": 5,
            "tags": [{"nature": "kept"}]}"#;
        let out = strip_json(
            body,
            &[
                "password",
                "breach.nature",
                "affected_systems",
                "n",
                "nature",
            ],
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["password"], "");
        assert_eq!(v["email"], "x' or 1=1--", "not hidden");
        assert_eq!(v["breach"]["nature"], "");
        assert_eq!(v["breach"]["other"], "<b>");
        assert_eq!(v["affected_systems"], serde_json::json!(["", ""]));
        assert_eq!(
            v["tags"][0]["nature"], "kept",
            "tags.nature is another path"
        );
        assert!(strip_json(b"not json", &["password"]).is_none());
    }

    #[test]
    fn hidden_pairs_leave_queries_and_forms_and_the_rest_stays_byte_for_byte() {
        assert_eq!(
            strip_target("/a?q=%27&pass%77ord=x%27&z", &["password"]),
            "/a?q=%27&z"
        );
        assert_eq!(strip_target("/a", &["password"]), "/a");
        assert_eq!(
            strip_pairs("password=1&email=a%40b&password", '&', &["password"]),
            "email=a%40b"
        );
    }
}
