//! What the engine sees of a request: the method, the target, headers,
//! cookies, and the arguments of the query and of a form, JSON or
//! multipart body (field values only — never the bytes of a file), each as
//! a named variable.

use crate::transform::url_decode_uni;

/// A request body, as far as the engine may read it.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// no body
    None,
    /// `application/x-www-form-urlencoded`
    Form(&'a [u8]),
    /// `application/json`
    Json(&'a [u8]),
    /// other text (XML, plain text): inspected as one value
    Text(&'a [u8]),
    /// the non-file fields of a multipart body, already parsed
    Fields(&'a [(String, String)]),
    /// bytes that are never inspected: a file being uploaded
    Opaque,
}

/// One request to inspect.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// the method
    pub method: &'a str,
    /// the request target as received: path and query, still encoded
    pub target: &'a str,
    /// headers in order (names in any case; repeated names kept)
    pub headers: &'a [(String, String)],
    /// the body
    pub body: Body<'a>,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// the path, URL-decoded once
    Path,
    /// an argument's value (query, form, JSON leaf, multipart field)
    Arg(String),
    /// an argument's name
    ArgName,
    /// a header's value (the name in lower case)
    Header(String),
    /// a cookie's value
    Cookie(String),
    /// a cookie's name
    CookieName,
    /// the method
    Method,
    /// a text body as a whole
    Body,
}

impl Source {
    /// The target name a rule uses for this source.
    pub fn target(&self) -> &'static str {
        match self {
            Source::Path => "path",
            Source::Arg(_) => "args",
            Source::ArgName => "args_names",
            Source::Header(_) => "headers",
            Source::Cookie(_) => "cookies",
            Source::CookieName => "cookies_names",
            Source::Method => "method",
            Source::Body => "body",
        }
    }

    /// A bit for this kind of source (rules keep a mask of the kinds they
    /// read); the same as `source_bit(self.target())`, without the lookup.
    pub fn bit(&self) -> u16 {
        match self {
            Source::Path => 1,
            Source::Arg(_) => 1 << 1,
            Source::ArgName => 1 << 2,
            Source::Header(_) => 1 << 3,
            Source::Cookie(_) => 1 << 4,
            Source::CookieName => 1 << 5,
            Source::Method => 1 << 6,
            Source::Body => 1 << 7,
        }
    }

    /// How an audit line names it (`ARGS:caption`), never with its value.
    pub fn label(&self) -> String {
        match self {
            Source::Path => "REQUEST_FILENAME".into(),
            Source::Arg(n) => format!("ARGS:{}", short(n)),
            Source::ArgName => "ARGS_NAMES".into(),
            Source::Header(n) => format!("REQUEST_HEADERS:{}", short(n)),
            Source::Cookie(n) => format!("REQUEST_COOKIES:{}", short(n)),
            Source::CookieName => "REQUEST_COOKIES_NAMES".into(),
            Source::Method => "REQUEST_METHOD".into(),
            Source::Body => "REQUEST_BODY".into(),
        }
    }
}

/// The bit of a target name's kind (`headers:user-agent` is `headers`).
pub fn source_bit(target: &str) -> u16 {
    match target.split(':').next().unwrap_or("") {
        "path" => 1,
        "args" => 1 << 1,
        "args_names" => 1 << 2,
        "headers" => 1 << 3,
        "cookies" => 1 << 4,
        "cookies_names" => 1 << 5,
        "method" => 1 << 6,
        "body" => 1 << 7,
        "target_raw" => 1 << 8,
        _ => 0,
    }
}

fn short(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// A value to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// where it came from
    pub source: Source,
    /// the text (decoded once, as the application would see it)
    pub text: String,
}

/// Most arguments read from one request (the rest count as an anomaly).
pub const MAX_ARGS: usize = 512;
/// Deepest JSON nesting followed.
const MAX_DEPTH: usize = 32;

/// Splits `a=b&c=d` (URL-decoded) into `(name, value)` pairs.
pub fn parse_pairs(s: &str, sep: char) -> Vec<(String, String)> {
    s.split(sep)
        .filter(|p| !p.is_empty())
        .take(MAX_ARGS + 1)
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (url_decode_uni(k), url_decode_uni(v)),
            None => (url_decode_uni(p), String::new()),
        })
        .collect()
}

fn json_leaves(v: &serde_json::Value, path: &str, depth: usize, out: &mut Vec<(String, String)>) {
    if out.len() > MAX_ARGS || depth > MAX_DEPTH {
        return;
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.push((String::new(), k.clone())); // names are inspected too
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                json_leaves(v, &p, depth + 1, out);
            }
        }
        serde_json::Value::Array(a) => {
            for v in a {
                json_leaves(v, path, depth + 1, out);
            }
        }
        serde_json::Value::String(s) => out.push((path.to_string(), s.clone())),
        serde_json::Value::Number(n) => out.push((path.to_string(), n.to_string())),
        _ => {}
    }
}

/// The parsed request: its values and what parsing noticed.
#[derive(Debug, Default)]
pub struct Parsed {
    /// every value to inspect
    pub values: Vec<Value>,
    /// arguments counted (names and values)
    pub args: usize,
    /// the JSON body did not parse
    pub bad_json: bool,
}

/// Reads `req` into values.
pub fn parse(req: &Request<'_>) -> Parsed {
    let mut p = Parsed::default();
    let (path, query) = match req.target.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (req.target, None),
    };
    // an absolute target (`http://host/x`): inspect its path
    let path = path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
        .map_or(path, |rest| rest.find('/').map_or("/", |i| &rest[i..]));
    p.values.push(Value {
        source: Source::Path,
        text: url_decode_uni(path),
    });
    p.values.push(Value {
        source: Source::Method,
        text: req.method.to_string(),
    });
    let mut args: Vec<(String, String)> = Vec::new();
    if let Some(q) = query {
        args.extend(parse_pairs(q, '&'));
    }
    match req.body {
        Body::Form(b) => args.extend(parse_pairs(&String::from_utf8_lossy(b), '&')),
        Body::Json(b) => match serde_json::from_slice::<serde_json::Value>(b) {
            Ok(v) => {
                let mut leaves = Vec::new();
                json_leaves(&v, "", 0, &mut leaves);
                for (path, v) in leaves {
                    if path.is_empty() {
                        p.values.push(Value {
                            source: Source::ArgName,
                            text: v,
                        });
                    } else {
                        args.push((path, v));
                    }
                }
            }
            Err(_) => {
                p.bad_json = true;
                p.values.push(Value {
                    source: Source::Body,
                    text: String::from_utf8_lossy(b).into_owned(),
                });
            }
        },
        Body::Text(b) => p.values.push(Value {
            source: Source::Body,
            text: String::from_utf8_lossy(b).into_owned(),
        }),
        Body::Fields(f) => args.extend(f.iter().cloned()),
        Body::None | Body::Opaque => {}
    }
    p.args = args.len();
    // `a%3Db` decodes to a name holding `=`: an encoded separator (an
    // evasion); the part after it is inspected as that argument's value too.
    let hidden: Vec<(String, String)> = args
        .iter()
        .filter(|(k, v)| v.is_empty() && k.contains('='))
        .filter_map(|(k, _)| {
            k.split_once('=')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    args.extend(hidden);
    for (k, v) in args.into_iter().take(MAX_ARGS) {
        p.values.push(Value {
            source: Source::ArgName,
            text: k.clone(),
        });
        p.values.push(Value {
            source: Source::Arg(k),
            text: v,
        });
    }
    for (name, value) in req.headers {
        let lower = name.to_ascii_lowercase();
        if lower == "cookie" {
            for (k, v) in parse_pairs(value, ';') {
                let k = k.trim().to_string();
                p.values.push(Value {
                    source: Source::CookieName,
                    text: k.clone(),
                });
                p.values.push(Value {
                    source: Source::Cookie(k),
                    text: v,
                });
            }
        } else {
            p.values.push(Value {
                source: Source::Header(lower),
                text: value.clone(),
            });
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_argument_is_a_value_but_file_bytes_are_not() {
        let headers = vec![
            ("Host".to_string(), "x".to_string()),
            ("Cookie".to_string(), "a=1; sid=%27x".to_string()),
        ];
        let fields = vec![("caption".to_string(), "it's <3".to_string())];
        let req = Request {
            method: "POST",
            target: "/p%61th?q=a%20b&n",
            headers: &headers,
            body: Body::Fields(&fields),
        };
        let p = parse(&req);
        let has = |s: Source, t: &str| p.values.iter().any(|v| v.source == s && v.text == t);
        assert!(has(Source::Path, "/path"));
        assert!(has(Source::Arg("q".into()), "a b"));
        assert!(has(Source::ArgName, "n"));
        assert!(has(Source::Arg("caption".into()), "it's <3"));
        assert!(has(Source::Cookie("sid".into()), "'x"));
        assert!(has(Source::Header("host".into()), "x"));
        for s in [
            Source::Path,
            Source::Arg("a".into()),
            Source::ArgName,
            Source::Header("h".into()),
            Source::Cookie("c".into()),
            Source::CookieName,
            Source::Method,
            Source::Body,
        ] {
            assert_eq!(s.bit(), source_bit(s.target()), "{s:?}");
        }
        let json = br#"{"name": "x", "tags": [{"t": "y"}], "n": 5}"#;
        let p = parse(&Request {
            method: "POST",
            target: "/",
            headers: &[],
            body: Body::Json(json),
        });
        let has = |s: Source, t: &str| p.values.iter().any(|v| v.source == s && v.text == t);
        assert!(has(Source::Arg("tags.t".into()), "y"));
        assert!(has(Source::ArgName, "tags"));
        assert!(has(Source::Arg("n".into()), "5"));
        let p = parse(&Request {
            method: "PUT",
            target: "/",
            headers: &[],
            body: Body::Opaque,
        });
        assert_eq!(p.values.len(), 2, "path and method only: {:?}", p.values);
    }
}
