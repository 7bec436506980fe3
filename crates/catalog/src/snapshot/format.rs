//! The snapshot stream: a logical, versioned, backend-neutral encoding of
//! the catalog's rows (specified in `docs/snapshot-format.md`).
//!
//! ```text
//! stream := MAGIC u16:format u32:schema u64:created_ms lp(source) table* END u64:rows
//! table  := 'T' lp(name) u16:ncols (lp(column) u8:type){ncols} row* 'E' u64:rows
//! row    := 'R' value{ncols}
//! value  := 0x00                     null
//!         | 0x01 i64                 integer (big-endian)
//!         | 0x02 lp(utf-8)           text
//!         | 0x03 lp(bytes)           bytes
//!         | 0x04 u8                  boolean (0 or 1)
//! lp(x)  := u32:len x                 (big-endian length)
//! ```
//!
//! The [`Decoder`] takes bytes in any pieces and yields [`Event`]s; it
//! never trusts a length before it has checked it against its limits, so a
//! hostile or truncated stream is an error, never a panic or a large
//! allocation.

/// First bytes of every snapshot stream.
pub const MAGIC: &[u8; 8] = b"PUCATLG\x01";
/// Version of this encoding.
pub const FORMAT_VERSION: u16 = 1;
/// Longest table or column name.
pub const MAX_NAME: usize = 64;
/// Most columns of a table.
pub const MAX_COLUMNS: usize = 64;
/// Largest single value.
pub const MAX_VALUE: usize = 64 << 20;
/// Longest source backend name.
const MAX_SOURCE: usize = 32;

/// A column's type in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// signed 64-bit integer
    Int = 1,
    /// UTF-8 text
    Text = 2,
    /// bytes
    Bytes = 3,
    /// boolean
    Bool = 4,
}

impl ColType {
    fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            1 => ColType::Int,
            2 => ColType::Text,
            3 => ColType::Bytes,
            4 => ColType::Bool,
            _ => return None,
        })
    }
}

/// One value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL
    Null,
    /// an integer
    Int(i64),
    /// text
    Text(String),
    /// bytes
    Bytes(Vec<u8>),
    /// a boolean
    Bool(bool),
}

/// The stream's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// encoding version ([`FORMAT_VERSION`])
    pub format: u16,
    /// the catalog schema version the rows follow
    pub schema: u32,
    /// when the snapshot was taken (unix ms)
    pub created_ms: u64,
    /// the backend it was taken from (`sqlite`, `postgres`)
    pub source: String,
}

/// What the decoder read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// the header
    Header(Header),
    /// a table starts
    Table {
        /// its name
        name: String,
        /// its columns and their types
        columns: Vec<(String, ColType)>,
    },
    /// one row of the current table
    Row(Vec<Value>),
    /// the current table ends after this many rows (checked)
    TableEnd(u64),
    /// the stream ends after this many rows in all (checked)
    End(u64),
}

/// A malformed stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// not a snapshot stream
    #[error("not a catalog snapshot (bad magic)")]
    Magic,
    /// an encoding version this build cannot read
    #[error("snapshot encoding version {0} is not supported (this build reads version 1)")]
    Version(u16),
    /// bytes that break the grammar
    #[error("malformed snapshot: {0}")]
    Malformed(&'static str),
    /// the stream stopped before its end
    #[error("the snapshot is truncated")]
    Truncated,
    /// bytes after the end
    #[error("bytes after the end of the snapshot")]
    Trailing,
}

/// Writes the stream into a buffer, piece by piece.
#[derive(Debug, Default)]
pub struct Encoder {
    out: Vec<u8>,
    table_rows: u64,
    total_rows: u64,
}

fn lp(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(b);
}

impl Encoder {
    /// Starts a stream.
    pub fn new(header: &Header) -> Self {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&header.format.to_be_bytes());
        out.extend_from_slice(&header.schema.to_be_bytes());
        out.extend_from_slice(&header.created_ms.to_be_bytes());
        lp(&mut out, header.source.as_bytes());
        Encoder {
            out,
            table_rows: 0,
            total_rows: 0,
        }
    }

    /// Starts a table.
    pub fn table(&mut self, name: &str, columns: &[(&str, ColType)]) {
        self.out.push(b'T');
        lp(&mut self.out, name.as_bytes());
        self.out.extend_from_slice(
            &u16::try_from(columns.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for (c, t) in columns {
            lp(&mut self.out, c.as_bytes());
            self.out.push(*t as u8);
        }
        self.table_rows = 0;
    }

    /// Adds a row of the current table.
    pub fn row(&mut self, values: &[Value]) {
        self.out.push(b'R');
        for v in values {
            match v {
                Value::Null => self.out.push(0),
                Value::Int(i) => {
                    self.out.push(1);
                    self.out.extend_from_slice(&i.to_be_bytes());
                }
                Value::Text(t) => {
                    self.out.push(2);
                    lp(&mut self.out, t.as_bytes());
                }
                Value::Bytes(b) => {
                    self.out.push(3);
                    lp(&mut self.out, b);
                }
                Value::Bool(b) => {
                    self.out.push(4);
                    self.out.push(u8::from(*b));
                }
            }
        }
        self.table_rows += 1;
        self.total_rows += 1;
    }

    /// Ends the current table.
    pub fn end_table(&mut self) {
        self.out.push(b'E');
        self.out.extend_from_slice(&self.table_rows.to_be_bytes());
    }

    /// Ends the stream.
    pub fn finish(&mut self) {
        self.out.push(b'Z');
        self.out.extend_from_slice(&self.total_rows.to_be_bytes());
    }

    /// Bytes written so far.
    pub fn buffered(&self) -> usize {
        self.out.len()
    }

    /// Takes what was written so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    BetweenTables,
    InTable,
    Done,
}

/// Reads the stream from pieces of any size.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    pos: usize,
    state: State,
    columns: Vec<ColType>,
    table_rows: u64,
    total_rows: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            buf: Vec::new(),
            pos: 0,
            state: State::Header,
            columns: Vec::new(),
            table_rows: 0,
            total_rows: 0,
        }
    }
}

/// Reads from a slice; `None` when more bytes are needed.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_be_bytes(a)
        })
    }
}

/// `Ok(None)`: more bytes needed; `Err`: malformed.
type Step<T> = Result<Option<T>, FormatError>;

fn lp_bytes(c: &mut Cursor<'_>, max: usize, what: &'static str) -> Step<Vec<u8>> {
    let Some(len) = c.u32() else { return Ok(None) };
    let len = len as usize;
    if len > max {
        return Err(FormatError::Malformed(what));
    }
    Ok(c.take(len).map(<[u8]>::to_vec))
}

fn lp_text(c: &mut Cursor<'_>, max: usize, what: &'static str) -> Step<String> {
    match lp_bytes(c, max, what)? {
        None => Ok(None),
        Some(b) => String::from_utf8(b)
            .map(Some)
            .map_err(|_| FormatError::Malformed(what)),
    }
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > (1 << 20) {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next event, or `None` until more bytes are fed.
    pub fn next_event(&mut self) -> Result<Option<Event>, FormatError> {
        let mut c = Cursor {
            b: &self.buf,
            at: self.pos,
        };
        let ev = match self.state {
            State::Done => {
                return if self.pos < self.buf.len() {
                    Err(FormatError::Trailing)
                } else {
                    Ok(None)
                };
            }
            State::Header => {
                let Some(magic) = c.take(MAGIC.len()) else {
                    return Ok(None);
                };
                if magic != MAGIC {
                    return Err(FormatError::Magic);
                }
                let (Some(format), Some(schema), Some(created_ms)) = (c.u16(), c.u32(), c.u64())
                else {
                    return Ok(None);
                };
                if format != FORMAT_VERSION {
                    return Err(FormatError::Version(format));
                }
                let Some(source) = lp_text(&mut c, MAX_SOURCE, "source name")? else {
                    return Ok(None);
                };
                self.state = State::BetweenTables;
                Event::Header(Header {
                    format,
                    schema,
                    created_ms,
                    source,
                })
            }
            State::BetweenTables => {
                let Some(tag) = c.u8() else { return Ok(None) };
                match tag {
                    b'T' => {
                        let Some(name) = lp_text(&mut c, MAX_NAME, "table name")? else {
                            return Ok(None);
                        };
                        let Some(n) = c.u16() else { return Ok(None) };
                        if usize::from(n) > MAX_COLUMNS || n == 0 {
                            return Err(FormatError::Malformed("column count"));
                        }
                        let mut columns = Vec::with_capacity(usize::from(n));
                        for _ in 0..n {
                            let Some(col) = lp_text(&mut c, MAX_NAME, "column name")? else {
                                return Ok(None);
                            };
                            let Some(t) = c.u8() else { return Ok(None) };
                            let t =
                                ColType::from_u8(t).ok_or(FormatError::Malformed("column type"))?;
                            columns.push((col, t));
                        }
                        self.columns = columns.iter().map(|(_, t)| *t).collect();
                        self.table_rows = 0;
                        self.state = State::InTable;
                        Event::Table { name, columns }
                    }
                    b'Z' => {
                        let Some(n) = c.u64() else { return Ok(None) };
                        if n != self.total_rows {
                            return Err(FormatError::Malformed("total row count"));
                        }
                        self.state = State::Done;
                        Event::End(n)
                    }
                    _ => return Err(FormatError::Malformed("expected a table or the end")),
                }
            }
            State::InTable => {
                let Some(tag) = c.u8() else { return Ok(None) };
                match tag {
                    b'R' => {
                        let mut values = Vec::with_capacity(self.columns.len());
                        for t in &self.columns {
                            let Some(kind) = c.u8() else { return Ok(None) };
                            let v = match kind {
                                0 => Value::Null,
                                1 => match c.u64() {
                                    Some(u) => Value::Int(u as i64),
                                    None => return Ok(None),
                                },
                                2 => match lp_text(&mut c, MAX_VALUE, "text value")? {
                                    Some(s) => Value::Text(s),
                                    None => return Ok(None),
                                },
                                3 => match lp_bytes(&mut c, MAX_VALUE, "bytes value")? {
                                    Some(b) => Value::Bytes(b),
                                    None => return Ok(None),
                                },
                                4 => match c.u8() {
                                    Some(0) => Value::Bool(false),
                                    Some(1) => Value::Bool(true),
                                    Some(_) => return Err(FormatError::Malformed("boolean")),
                                    None => return Ok(None),
                                },
                                _ => return Err(FormatError::Malformed("value kind")),
                            };
                            let fits = matches!(
                                (&v, t),
                                (Value::Null, _)
                                    | (Value::Int(_), ColType::Int)
                                    | (Value::Text(_), ColType::Text)
                                    | (Value::Bytes(_), ColType::Bytes)
                                    | (Value::Bool(_), ColType::Bool)
                            );
                            if !fits {
                                return Err(FormatError::Malformed("value of the wrong type"));
                            }
                            values.push(v);
                        }
                        self.table_rows += 1;
                        self.total_rows += 1;
                        Event::Row(values)
                    }
                    b'E' => {
                        let Some(n) = c.u64() else { return Ok(None) };
                        if n != self.table_rows {
                            return Err(FormatError::Malformed("table row count"));
                        }
                        self.state = State::BetweenTables;
                        Event::TableEnd(n)
                    }
                    _ => return Err(FormatError::Malformed("expected a row or the table's end")),
                }
            }
        };
        self.pos = c.at;
        Ok(Some(ev))
    }

    /// The stream is complete (after [`Event::End`]); anything else at the
    /// end of the input is [`FormatError::Truncated`].
    pub fn finish(&self) -> Result<(), FormatError> {
        match self.state {
            State::Done if self.pos == self.buf.len() => Ok(()),
            State::Done => Err(FormatError::Trailing),
            _ => Err(FormatError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header() -> Header {
        Header {
            format: FORMAT_VERSION,
            schema: 9,
            created_ms: 1_700_000_000_000,
            source: "sqlite".into(),
        }
    }

    fn sample() -> Vec<u8> {
        let mut e = Encoder::new(&header());
        e.table(
            "t",
            &[
                ("id", ColType::Text),
                ("n", ColType::Int),
                ("b", ColType::Bytes),
                ("f", ColType::Bool),
            ],
        );
        e.row(&[
            Value::Text("a".into()),
            Value::Int(-1),
            Value::Bytes(vec![0, 255]),
            Value::Bool(true),
        ]);
        e.row(&[
            Value::Text("b".into()),
            Value::Null,
            Value::Null,
            Value::Bool(false),
        ]);
        e.end_table();
        e.finish();
        e.take()
    }

    fn decode_all(bytes: &[u8], piece: usize) -> Result<Vec<Event>, FormatError> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for chunk in bytes.chunks(piece.max(1)) {
            d.feed(chunk);
            while let Some(ev) = d.next_event()? {
                out.push(ev);
            }
        }
        d.finish()?;
        Ok(out)
    }

    /// The test vector of docs/snapshot-format.md.
    #[test]
    fn vector() {
        let hex: String = sample().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "50554341544c47010001000000090000\
             018bcfe568000000000673716c697465\
             54000000017400040000000269640200\
             0000016e010000000162030000000166\
             045202000000016101ffffffffffffff\
             ff030000000200ff0401520200000001\
             62000004004500000000000000025a00\
             00000000000002"
                .replace(' ', "")
        );
    }

    #[test]
    fn round_trip_in_any_pieces() {
        let bytes = sample();
        for piece in [1, 2, 3, 7, 64, bytes.len()] {
            let evs = decode_all(&bytes, piece).expect("decodes");
            assert_eq!(evs.len(), 6, "{evs:?}");
            assert_eq!(evs[0], Event::Header(header()));
            assert_eq!(
                evs[3],
                Event::Row(vec![
                    Value::Text("b".into()),
                    Value::Null,
                    Value::Null,
                    Value::Bool(false)
                ])
            );
            assert_eq!(evs[5], Event::End(2));
        }
    }

    #[test]
    fn bad_streams_are_errors() {
        let good = sample();
        assert_eq!(decode_all(b"NOTASNAPSHOT", 4), Err(FormatError::Magic));
        for cut in [5, 20, good.len() - 1] {
            assert!(decode_all(&good[..cut], 3).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode_all(&trailing, 16), Err(FormatError::Trailing));
        let mut wrong_count = good.clone();
        let n = wrong_count.len();
        wrong_count[n - 1] = 3;
        assert!(matches!(
            decode_all(&wrong_count, 16),
            Err(FormatError::Malformed(_))
        ));
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&1u16.to_be_bytes());
        huge.extend_from_slice(&[0; 12]);
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_all(&huge, 64),
            Err(FormatError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..512), piece in 1usize..40) {
            let mut input = MAGIC.to_vec();
            input.extend(bytes);
            let _ = decode_all(&input, piece);
        }

        #[test]
        fn any_rows_round_trip(rows in proptest::collection::vec((any::<i64>(), ".{0,20}", proptest::collection::vec(any::<u8>(), 0..40), any::<bool>(), any::<bool>()), 0..20)) {
            let mut e = Encoder::new(&header());
            e.table("x", &[("i", ColType::Int), ("t", ColType::Text), ("b", ColType::Bytes), ("f", ColType::Bool)]);
            let mut want = Vec::new();
            for (i, t, b, f, null) in &rows {
                let r = if *null {
                    vec![Value::Null, Value::Text(t.clone()), Value::Null, Value::Bool(*f)]
                } else {
                    vec![Value::Int(*i), Value::Text(t.clone()), Value::Bytes(b.clone()), Value::Bool(*f)]
                };
                e.row(&r);
                want.push(r);
            }
            e.end_table();
            e.finish();
            let evs = decode_all(&e.take(), 5).expect("decodes");
            let got: Vec<Vec<Value>> = evs.into_iter().filter_map(|ev| match ev { Event::Row(r) => Some(r), _ => None }).collect();
            prop_assert_eq!(got, want);
        }
    }
}
