//! The request-inspection engine on arbitrary requests: any method, target,
//! header and body bytes must give a verdict — never a panic, never a hang.
//! The same bytes go through what the CRS engine does first (`hidden`:
//! excluded values taken out of the target and the body).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixelunion_waf::{Body, Engine, Request, RuleSet, Settings};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let rules = RuleSet::embedded().expect("embedded rules");
        Engine::new(rules, Settings { paranoia: 4, ..Settings::default() })
    })
}

fuzz_target!(|data: &[u8]| {
    // layout: kind byte, then target \n header-name \n header-value \n body
    let Some((&kind, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(4, '\n');
    let target = parts.next().unwrap_or("/");
    let name = parts.next().unwrap_or("x").to_string();
    let value = parts.next().unwrap_or("").to_string();
    let body = parts.next().unwrap_or("").as_bytes();
    let headers = vec![("Host".to_string(), "h".to_string()), (name, value)];
    let fields = vec![("f".to_string(), String::from_utf8_lossy(body).into_owned())];
    let body = match kind % 6 {
        0 => Body::None,
        1 => Body::Form(body),
        2 => Body::Json(body),
        3 => Body::Text(body),
        4 => Body::Fields(&fields),
        _ => Body::Opaque,
    };
    let method = ["GET", "POST", "PATCH", "PUT", "DELETE", "FOO"][usize::from(kind / 6) % 6];
    let v = engine().inspect(&Request { method, target, headers: &headers, body });
    assert_eq!(v.block, v.score >= 5);
    let hidden = ["password", "breach.nature", "f"];
    let stripped = pixelunion_waf::hidden::strip_target(target, &hidden);
    assert!(stripped.len() <= target.len(), "stripping only removes");
    let pairs = pixelunion_waf::hidden::strip_pairs(&text, '&', &hidden);
    assert!(pairs.len() <= text.len(), "stripping only removes");
    if let Some(out) = pixelunion_waf::hidden::strip_json(rest, &hidden) {
        // still JSON, and nothing left to strip
        let again = pixelunion_waf::hidden::strip_json(&out, &hidden);
        assert_eq!(again.as_deref(), Some(&out[..]));
    }
});
