//! XMP: the XML packet editors and phones add beside (or instead of) EXIF.
//! We look for one `<x:xmpmeta>` packet in the first MiB of the file (JPEG
//! APP1, PNG iTXt, WebP, TIFF and HEIF all keep it there, uncompressed) and
//! read the same facts as from EXIF, in either of XMP's two spellings
//! (attributes of `rdf:Description` or child elements). Used only to fill
//! what EXIF left empty.

use quick_xml::events::Event;

use crate::metadata::Metadata;
use crate::video::parse_capture_time;

/// How far into a file the packet is searched for.
const SCAN: usize = 1 << 20;
/// Largest packet read.
pub const MAX_PACKET: usize = 256 << 10;
/// Deepest element nesting read; a packet nested deeper is read up to there.
pub const MAX_DEPTH: usize = 32;
/// Attributes looked at per tag (a real `rdf:Description` has a few dozen).
pub const MAX_ATTRIBUTES: usize = 256;
/// XML events read per packet.
const MAX_EVENTS: usize = 100_000;

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| i + from)
}

/// The XMP packet of a file, if there is one in its first MiB.
pub fn packet(bytes: &[u8]) -> Option<&[u8]> {
    let scan = &bytes[..bytes.len().min(SCAN)];
    let start = find(scan, b"<x:xmpmeta", 0)?;
    let end_tag = b"</x:xmpmeta>";
    let end = find(scan, end_tag, start)? + end_tag.len();
    (end - start <= MAX_PACKET).then(|| &scan[start..end])
}

/// "48,51.504N" or "48,51,30.24N" → signed degrees.
fn gps_coordinate(s: &str) -> Option<f64> {
    let s = s.trim();
    let dir = s.chars().last()?;
    let sign = match dir.to_ascii_uppercase() {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => {
            return s
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.abs() <= 180.0);
        }
    };
    let body = &s[..s.len() - dir.len_utf8()];
    let mut parts = body.split(',').map(|p| p.trim().parse::<f64>());
    let d = parts.next()?.ok()?;
    let m = parts.next().transpose().ok()?.unwrap_or(0.0);
    let sec = parts.next().transpose().ok()?.unwrap_or(0.0);
    if parts.next().is_some() {
        return None;
    }
    let v = sign * (d + m / 60.0 + sec / 3600.0);
    (v.is_finite() && v.abs() <= 180.0).then_some(v)
}

/// "35/1" or "35.2" → 35.x
fn rational(s: &str) -> Option<f64> {
    let v = match s.trim().split_once('/') {
        Some((n, d)) => {
            let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
            if d == 0.0 {
                return None;
            }
            n / d
        }
        None => s.trim().parse().ok()?,
    };
    v.is_finite().then_some(v)
}

fn clean(s: &str) -> Option<String> {
    let t: String = s.trim().chars().take(200).collect();
    (!t.is_empty()).then_some(t)
}

/// What one property says, applied to the XMP-only metadata.
fn apply(m: &mut Metadata, date: &mut Option<(u8, String)>, name: &str, value: &str) {
    // the capture time: EXIF's original time first, then creation times
    let rank = match name {
        "DateTimeOriginal" => 3,
        "DateCreated" => 2,
        "CreateDate" => 1,
        _ => 0,
    };
    if rank > 0 {
        if date.as_ref().is_none_or(|(r, _)| *r < rank) {
            *date = Some((rank, value.to_string()));
        }
        return;
    }
    match name {
        "GPSLatitude" => m.latitude = gps_coordinate(value).filter(|v| v.abs() <= 90.0),
        "GPSLongitude" => m.longitude = gps_coordinate(value),
        "GPSAltitude" => m.altitude = rational(value),
        "Make" => m.make = clean(value),
        "Model" => m.model = clean(value),
        "Lens" | "LensModel" => m.lens = clean(value),
        "Orientation" => {
            m.orientation = value
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|o| (1..=8).contains(o))
                .unwrap_or(1);
        }
        _ => {}
    }
}

const WANTED: &[&str] = &[
    "DateTimeOriginal",
    "DateCreated",
    "CreateDate",
    "GPSLatitude",
    "GPSLongitude",
    "GPSAltitude",
    "Make",
    "Model",
    "Lens",
    "LensModel",
    "Orientation",
];

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

/// Reads the facts an XMP packet states (orientation 1 when absent).
///
/// Hostile packets cost bounded work: at most [`MAX_PACKET`] bytes (longer
/// input is cut), [`MAX_EVENTS`] events, [`MAX_ATTRIBUTES`] attributes per
/// tag, read without quick-xml's duplicate-name check (RUSTSEC-2026-0194:
/// quadratic in the attributes of one tag), no namespace resolution (the
/// plain reader, never `NsReader`: RUSTSEC-2026-0195), and elements nested
/// deeper than [`MAX_DEPTH`] end the reading.
pub fn parse(packet: &[u8]) -> Metadata {
    let packet = &packet[..packet.len().min(MAX_PACKET)];
    let mut m = Metadata {
        orientation: 1,
        ..Metadata::default()
    };
    let mut date = None;
    let mut reader = quick_xml::Reader::from_reader(packet);
    reader.config_mut().trim_text(true);
    let mut current: Option<String> = None;
    let mut buf = Vec::new();
    let mut depth = 0usize;
    for _ in 0..MAX_EVENTS {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break,
            Ok(ev) => ev,
        };
        if let Event::Start(_) = ev {
            depth += 1;
            if depth > MAX_DEPTH {
                break;
            }
        }
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let mut attributes = e.attributes();
                attributes.with_checks(false);
                for a in attributes.take(MAX_ATTRIBUTES).flatten() {
                    let name = local(std::str::from_utf8(a.key.as_ref()).unwrap_or(""));
                    if WANTED.contains(&name)
                        && let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    {
                        apply(&mut m, &mut date, name, &v);
                    }
                }
                let qname = e.name();
                let name = local(std::str::from_utf8(qname.as_ref()).unwrap_or("")).to_string();
                current = WANTED.contains(&name.as_str()).then_some(name);
            }
            Event::Text(t) => {
                if let Some(name) = &current
                    && let Ok(raw) = t.xml10_content()
                    && let Ok(v) = quick_xml::escape::unescape(&raw)
                {
                    apply(&mut m, &mut date, name, &v);
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                current = None;
            }
            _ => {}
        }
        buf.clear();
    }
    if let Some((_, d)) = date
        && let Some((ms, off)) = parse_capture_time(&d)
    {
        m.taken_at_ms = Some(ms);
        m.offset_minutes = off;
    }
    m
}

/// Fills what `m` (from EXIF) lacks with what the XMP packet says.
pub fn fill(m: &mut Metadata, x: Metadata) {
    if m.taken_at_ms.is_none() {
        m.taken_at_ms = x.taken_at_ms;
        m.offset_minutes = x.offset_minutes;
    }
    if (m.latitude.is_none() || m.longitude.is_none())
        && let (Some(a), Some(b)) = (x.latitude, x.longitude)
    {
        m.latitude = Some(a);
        m.longitude = Some(b);
    }
    m.altitude = m.altitude.or(x.altitude);
    m.make = m.make.take().or(x.make);
    m.model = m.model.take().or(x.model);
    m.lens = m.lens.take().or(x.lens);
    if m.orientation == 1 {
        m.orientation = x.orientation;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ATTRS: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
  xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"
  xmp:CreateDate="2020-01-01T00:00:00Z"
  exif:DateTimeOriginal="2021-07-14T18:30:00+02:00"
  exif:GPSLatitude="48,51.504N" exif:GPSLongitude="2,17,40.2E" exif:GPSAltitude="35/1"
  tiff:Make="Fuji &amp; Co" tiff:Model="X-T4" aux:Lens="XF 23mm" tiff:Orientation="6"/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;

    const ELEMENTS: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/">
 <photoshop:DateCreated>2019-03-02T10:00:00-05:00</photoshop:DateCreated>
 <exif:GPSLatitude>33,52.128S</exif:GPSLatitude>
 <exif:GPSLongitude>151,12.558E</exif:GPSLongitude>
</rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn attribute_form() {
        let mut file = b"\xFF\xD8\xFF\xE1\x10\x00http://ns.adobe.com/xap/1.0/\0".to_vec();
        file.extend(ATTRS.as_bytes());
        let m = parse(packet(&file).expect("found"));
        assert_eq!(
            m.taken_at_ms,
            Some(1_626_280_200_000),
            "DateTimeOriginal wins"
        );
        assert_eq!(m.offset_minutes, Some(120));
        assert!((m.latitude.expect("lat") - 48.8584).abs() < 1e-4);
        assert!((m.longitude.expect("lon") - 2.29450).abs() < 1e-4);
        assert_eq!(m.altitude, Some(35.0));
        assert_eq!(m.make.as_deref(), Some("Fuji & Co"));
        assert_eq!(m.lens.as_deref(), Some("XF 23mm"));
        assert_eq!(m.orientation, 6);
    }

    #[test]
    fn element_form() {
        let m = parse(ELEMENTS.as_bytes());
        assert_eq!(m.taken_at_ms, Some(1_551_538_800_000));
        assert_eq!(m.offset_minutes, Some(-300));
        assert!((m.latitude.expect("lat") + 33.8688).abs() < 1e-4);
        assert!((m.longitude.expect("lon") - 151.2093).abs() < 1e-4);
    }

    #[test]
    fn exif_wins_and_xmp_fills() {
        let mut m = Metadata {
            taken_at_ms: Some(5),
            orientation: 1,
            ..Metadata::default()
        };
        fill(&mut m, parse(ATTRS.as_bytes()));
        assert_eq!(m.taken_at_ms, Some(5));
        assert_eq!(m.model.as_deref(), Some("X-T4"));
        assert_eq!(m.orientation, 6);
    }

    #[test]
    fn coordinates() {
        assert_eq!(gps_coordinate("10,30S"), Some(-10.5));
        assert_eq!(gps_coordinate("1,2,3,4N"), None);
        assert_eq!(gps_coordinate("abcN"), None);
        assert_eq!(gps_coordinate(""), None);
        assert_eq!(rational("1/0"), None);
    }

    #[test]
    fn missing_or_unterminated_packets() {
        assert!(packet(b"no xmp here").is_none());
        assert!(packet(b"<x:xmpmeta never closed").is_none());
        let m = parse(b"<x:xmpmeta><unclosed");
        assert_eq!(m.taken_at_ms, None);
    }

    /// A start tag with `n` namespace declarations and `n` copies of one
    /// attribute, as in RUSTSEC-2026-0194/0195's reproducers, framed as a
    /// packet of at most [`MAX_PACKET`] bytes.
    pub(crate) fn attribute_flood(n: usize) -> Vec<u8> {
        let mut x = String::from(
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:Description tiff:Make=\"Real\"",
        );
        for i in 0..n {
            x.push_str(&format!(" xmlns:n{i}=\"u\" tiff:Model=\"M\""));
        }
        x.push_str("/></x:xmpmeta>");
        x.into_bytes()
    }

    #[test]
    fn attribute_and_namespace_floods_cost_little() {
        let flood = attribute_flood(6_000);
        assert!(flood.len() < MAX_PACKET, "{}", flood.len());
        let started = std::time::Instant::now();
        for _ in 0..20 {
            let m = parse(&flood);
            assert_eq!(
                m.make.as_deref(),
                Some("Real"),
                "the first attributes are read"
            );
        }
        // With the duplicate check this tag costs O(n²) comparisons per parse.
        let each = started.elapsed() / 20;
        assert!(
            each < std::time::Duration::from_millis(50),
            "{each:?} per parse"
        );
    }

    #[test]
    fn nesting_is_read_to_a_depth_and_no_further() {
        let nest = |levels: usize| {
            let mut x = String::from("<x:xmpmeta>");
            x.push_str(&"<a>".repeat(levels));
            x.push_str("<tiff:Model>Deep</tiff:Model>");
            x.push_str(&"</a>".repeat(levels));
            x.push_str("</x:xmpmeta>");
            x
        };
        assert_eq!(
            parse(nest(MAX_DEPTH - 3).as_bytes()).model.as_deref(),
            Some("Deep")
        );
        assert_eq!(parse(nest(MAX_DEPTH + 1).as_bytes()).model, None);
        let started = std::time::Instant::now();
        let m = parse(nest(40_000).as_bytes());
        assert_eq!(m.model, None);
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
    }

    #[test]
    fn oversized_packets_are_cut() {
        let mut x = b"<x:xmpmeta>".to_vec();
        x.resize(MAX_PACKET, b' ');
        x.extend(b"<tiff:Model>Late</tiff:Model></x:xmpmeta>");
        assert!(packet(&x).is_none(), "a packet over the limit is not taken");
        assert_eq!(parse(&x).model, None, "nor read past the limit");
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut file = b"<x:xmpmeta ".to_vec();
            file.extend(&bytes);
            file.extend(b"</x:xmpmeta>");
            let m = parse(packet(&file).expect("framed"));
            prop_assert!((1..=8).contains(&m.orientation));
        }

        #[test]
        fn any_attribute_value_is_survivable(v in "[^\"<&]{0,40}") {
            let x = format!("<x:xmpmeta><rdf:Description exif:GPSLatitude=\"{v}\" exif:DateTimeOriginal=\"{v}\" tiff:Orientation=\"{v}\"/></x:xmpmeta>");
            let m = parse(x.as_bytes());
            if let Some(l) = m.latitude { prop_assert!(l.abs() <= 90.0); }
        }
    }
}
