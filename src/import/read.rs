//! Reading the CSV, streamed: the csv crate splits records; each record's raw bytes are kept
//! only until the next one is read, to say what the parser does not (the line the record
//! starts on, invalid UTF-8, quotes that are not doubled), each located as line and column.

use std::fmt;
use std::io::{self, Read};

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file where the row starts (0 for the file as a whole).
    pub line: u64,
    /// 1-based column (in characters) of the problem, when it is one place in the row.
    pub column: Option<u64>,
    pub message: String,
}

impl RowError {
    pub(crate) fn at(line: u64, message: String) -> RowError {
        RowError {
            line,
            column: None,
            message,
        }
    }

    /// `line 3` or `line 3, column 7`, as the skipped rows are listed.
    pub(crate) fn place(&self) -> String {
        match self.column {
            Some(c) => format!("line {}, column {c}", self.line),
            None => format!("line {}", self.line),
        }
    }
}

/// Why an import was refused: a problem with the file as a whole, or its bad rows.
#[derive(Debug, Clone)]
pub struct ImportErrors {
    pub file: String,
    /// Set when the header could be read: printed so people see how columns were understood.
    pub mapping: Option<super::ResolvedMapping>,
    pub errors: Vec<RowError>,
    /// The progress callback asked to stop (nothing was read further, nothing changed).
    pub cancelled: bool,
}

impl ImportErrors {
    pub(crate) fn file(file: &str, mapping: Option<super::ResolvedMapping>, e: RowError) -> Self {
        ImportErrors {
            file: file.to_string(),
            mapping,
            errors: vec![e],
            cancelled: false,
        }
    }

    pub(crate) fn rows(file: &str, mapping: super::ResolvedMapping, errors: Vec<RowError>) -> Self {
        ImportErrors {
            file: file.to_string(),
            mapping: Some(mapping),
            errors,
            cancelled: false,
        }
    }

    /// Rows that cannot be read (not counting problems with the file as a whole).
    pub fn bad_rows(&self) -> usize {
        self.errors.iter().filter(|e| e.line > 0).count()
    }

    /// Each problem as `file:line: what is wrong` (`file:line:column:` when it is one place),
    /// with its help lines.
    pub(crate) fn list(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            out.push_str(&self.file);
            if e.line > 0 {
                out.push_str(&format!(":{}", e.line));
            }
            if let Some(c) = e.column {
                out.push_str(&format!(":{c}"));
            }
            out.push_str(": ");
            out.push_str(&e.message);
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.bad_rows();
        if rows > 0 {
            writeln!(
                f,
                "{}: {rows} row{} cannot be imported; nothing was saved",
                self.file,
                if rows == 1 { "" } else { "s" }
            )?;
        }
        f.write_str(&self.list())?;
        if rows > 0 {
            write!(
                f,
                "  help: fix those rows in the file and run the import again, or add \
                 --skip-bad-rows to import the other rows and leave these out"
            )?;
        }
        Ok(())
    }
}

/// The longest first line looked at to guess the separator.
const SNIFF_LIMIT: usize = 1 << 20;

/// Passes the input to the csv parser and keeps what it passed until the record holding it
/// has been claimed: the raw text of the record being read (the parser's read-ahead, 8 KB, plus
/// the record itself).
struct Tap<R> {
    inner: R,
    /// Bytes read from `inner`: from `buf[start]` (file offset `base`) on, not yet claimed.
    buf: Vec<u8>,
    start: usize,
    base: u64,
    /// How much of `buf` the parser has been given (the rest was read to guess the separator).
    served: usize,
    /// Bytes read from `inner` so far.
    read: u64,
}

impl<R: Read> Tap<R> {
    fn new(inner: R) -> Tap<R> {
        Tap {
            inner,
            buf: Vec::new(),
            start: 0,
            base: 0,
            served: 0,
            read: 0,
        }
    }

    fn pull(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(out) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }

    /// The first line (without its line break; at most [`SNIFF_LIMIT`] bytes), read ahead and
    /// kept for the parser.
    fn first_line(&mut self) -> io::Result<&[u8]> {
        let mut chunk = [0u8; 8192];
        let mut end = None;
        while end.is_none() && self.buf.len() < SNIFF_LIMIT {
            let n = self.pull(&mut chunk)?;
            if n == 0 {
                break;
            }
            end = chunk[..n]
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| self.buf.len() + i);
            self.buf.extend_from_slice(&chunk[..n]);
            self.read += n as u64;
        }
        Ok(&self.buf[..end.unwrap_or(self.buf.len())])
    }

    /// The raw bytes from the end of the last claimed record to file offset `end`.
    fn claim(&mut self, end: u64) -> &[u8] {
        // Compacted only once the claimed part is the larger half: each byte moves at most
        // once on average.
        if self.start > 1 << 16 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.served -= self.start;
            self.start = 0;
        }
        let available = self.served - self.start;
        let len = usize::try_from(end.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(available);
        let from = self.start;
        self.start += len;
        self.base += len as u64;
        &self.buf[from..from + len]
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.served < self.buf.len() {
            let n = (self.buf.len() - self.served).min(out.len());
            out[..n].copy_from_slice(&self.buf[self.served..self.served + n]);
            self.served += n;
            return Ok(n);
        }
        let n = self.pull(out)?;
        self.buf.extend_from_slice(&out[..n]);
        self.read += n as u64;
        self.served = self.buf.len();
        Ok(n)
    }
}

/// One record: the line it starts on and its cells.
pub(crate) struct Record<'a> {
    pub line: u64,
    pub cells: Vec<&'a str>,
}

/// A reader of records that knows where each one is in the file.
pub(crate) struct Records<R: Read> {
    csv: csv::Reader<Tap<R>>,
    record: csv::ByteRecord,
    delimiter: u8,
    /// The line of the first unclaimed byte, and whether the byte before it was a `\r` (whose
    /// line break is counted once the next byte shows it is not half of a `\r\n`).
    line: u64,
    cr: bool,
    first: bool,
}

/// Where a row or the file cannot be read any further.
pub(crate) enum ReadError {
    /// This record cannot be read; the next one can.
    Row(RowError),
    /// Reading the input failed: nothing after this point can be read.
    Input(io::Error),
}

impl<R: Read> Records<R> {
    /// Guesses the separator from the first line: comma, unless that line has none and does
    /// have tabs or semicolons.
    pub(crate) fn new(input: R) -> io::Result<Records<R>> {
        let mut tap = Tap::new(input);
        let first = tap.first_line()?;
        let first = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
        let delimiter = if first.contains(&b',') {
            b','
        } else if first.contains(&b'\t') {
            b'\t'
        } else if first.contains(&b';') {
            b';'
        } else {
            b','
        };
        // The csv crate skips a byte-order mark, and blank lines, itself.
        let csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(tap);
        Ok(Records {
            csv,
            record: csv::ByteRecord::new(),
            delimiter,
            line: 1,
            cr: false,
            first: true,
        })
    }

    /// Bytes of the input read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.csv.get_ref().read
    }

    /// The next record (`None` at the end), or why it cannot be read.
    pub(crate) fn next_record(&mut self) -> Option<Result<Record<'_>, ReadError>> {
        match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(e) => {
                let message = format!("cannot read this row: {e}");
                return Some(Err(match e.into_kind() {
                    csv::ErrorKind::Io(e) => ReadError::Input(e),
                    _ => ReadError::Row(RowError::at(self.line, message)),
                }));
            }
        }
        let end = self.csv.position().byte();
        let first = std::mem::replace(&mut self.first, false);
        let mut raw = self.csv.get_mut().claim(end);
        if first {
            raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        }
        // Blank lines before the record, and the `\n` of a `\r\n` that ended the last one,
        // are the parser's; the record starts after them.
        let lead = raw
            .iter()
            .position(|b| *b != b'\r' && *b != b'\n')
            .unwrap_or(raw.len());
        let (line, cr) = advance(self.line, self.cr, &raw[..lead]);
        let line = line + u64::from(cr && lead < raw.len());
        let body = &raw[lead..];
        // Where the record starts in the file, for errors an editor cannot show by line.
        let offset = end - (body.len() as u64);
        let checked = check(body, line, offset, self.delimiter);
        (self.line, self.cr) = advance(line, false, body);
        if let Err(e) = checked {
            return Some(Err(ReadError::Row(e)));
        }
        let mut cells = Vec::with_capacity(self.record.len());
        for field in self.record.iter() {
            // The raw record is UTF-8 (checked), so every field of it is.
            cells.push(std::str::from_utf8(field).unwrap_or_default());
        }
        Some(Ok(Record { line, cells }))
    }
}

/// The line after `bytes`, starting at `line` (`cr`: the byte before them was a `\r`): `\n`,
/// `\r\n` and a lone `\r` each end a line. Returns the line and whether the last byte was a
/// `\r` whose line break is not counted yet.
fn advance(mut line: u64, mut cr: bool, bytes: &[u8]) -> (u64, bool) {
    for &b in bytes {
        match b {
            b'\n' => {
                line += 1;
                cr = false;
            }
            b'\r' => {
                line += u64::from(cr);
                cr = true;
            }
            _ if cr => {
                line += 1;
                cr = false;
            }
            _ => {}
        }
    }
    (line, cr)
}

/// Line and column (in characters, 1-based) of byte `at` of a record that starts at column 1 of
/// `line`. `body[..at]` must be UTF-8.
fn locate(body: &[u8], line: u64, at: usize) -> (u64, u64) {
    let before = &body[..at];
    let (line, cr) = advance(line, false, before);
    let line = line + u64::from(cr);
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n' || *b == b'\r')
        .map_or(0, |i| i + 1);
    let col = std::str::from_utf8(&before[line_start..]).map_or(0, |s| s.chars().count());
    (line, col as u64 + 1)
}

/// Checks one record as written: UTF-8, and every quote where RFC 4180 allows it (opening a
/// value, closing it, or doubled inside a quoted value). The csv parser takes anything else
/// as it comes: `"bo"b"` would be read as `bob"`.
/// `offset`: where `body` starts in the file, in bytes.
fn check(body: &[u8], line: u64, offset: u64, delimiter: u8) -> Result<(), RowError> {
    let located = |at: usize, message: String| {
        let (line, col) = locate(body, line, at);
        RowError {
            line,
            column: Some(col),
            message,
        }
    };
    if let Err(e) = std::str::from_utf8(body) {
        let at = e.valid_up_to();
        return Err(located(
            at,
            format!(
                "not UTF-8 text: byte 0x{:02x} at byte offset {} is not valid UTF-8\n  \
                 help: save the file as UTF-8 (in Excel: Save As, \"CSV UTF-8\"), or fix the \
                 character there",
                body[at],
                offset + at as u64
            ),
        ));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        /// At the start of a value.
        Start,
        Unquoted,
        /// Inside quotes that opened at this byte.
        Quoted(usize),
        /// Just after a quote inside quoted text: it closes the value, or is doubled.
        Closing(usize),
        /// After the closing quote, spaces until the separator.
        Closed,
    }
    let mut state = State::Start;
    for (i, &b) in body.iter().enumerate() {
        let end = b == delimiter || b == b'\n' || b == b'\r';
        state = match state {
            State::Quoted(open) if b == b'"' => State::Closing(open),
            State::Quoted(open) => State::Quoted(open),
            State::Closing(open) if b == b'"' => State::Quoted(open),
            _ if end => State::Start,
            State::Start if b == b'"' => State::Quoted(i),
            State::Start => State::Unquoted,
            State::Unquoted if b == b'"' => {
                return Err(located(
                    i,
                    "a quote inside a value that does not start with one\n  help: put the \
                     whole value in quotes and double each quote inside it (\"5\"\" screen\" \
                     for 5\" screen), with no space before the opening quote"
                        .into(),
                ));
            }
            State::Unquoted => State::Unquoted,
            State::Closing(_) | State::Closed if b == b' ' || b == b'\t' => State::Closed,
            State::Closing(_) | State::Closed => {
                let at = if state == State::Closed { i } else { i - 1 };
                return Err(located(
                    at,
                    "this quote ends the quoted value, but more of the value follows it\n  \
                     help: double each quote inside a quoted value (\"bo\"\"b\" for bo\"b)"
                        .into(),
                ));
            }
        };
    }
    if let State::Quoted(open) = state {
        return Err(located(
            open,
            "this quote opens a value that is never closed, so the rest of the file would be \
             read as one value\n  help: add the closing quote, or double each quote inside the \
             value"
                .into(),
        ));
    }
    Ok(())
}

/// The header row's columns (trimmed), or why there is none.
pub(crate) fn header_of<R: Read>(records: &mut Records<R>) -> Result<Vec<String>, RowError> {
    let empty = || {
        RowError::at(
            0,
            "the file is empty\n  help: export the identities as CSV with a header row".into(),
        )
    };
    match records.next_record() {
        None => Err(empty()),
        Some(Ok(r)) if r.cells.iter().all(|c| c.trim().is_empty()) && r.cells.len() <= 1 => {
            Err(empty())
        }
        Some(Ok(r)) => Ok(r.cells.iter().map(|c| c.trim().to_string()).collect()),
        Some(Err(ReadError::Row(e))) => Err(RowError {
            message: format!("cannot read the header row: {}", e.message),
            ..e
        }),
        Some(Err(ReadError::Input(e))) => Err(RowError::at(0, input_failed(&e))),
    }
}

/// A failure to read the input (not a problem in the file's content).
pub(crate) fn input_failed(e: &io::Error) -> String {
    format!(
        "could not read the file: {}\n  help: check the file is still there and readable, then \
         run the import again",
        crate::session::store::io_cause(e)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut r = Records::new(text).expect("reads");
        let mut out = Vec::new();
        while let Some(rec) = r.next_record() {
            match rec {
                Ok(rec) => out.push((rec.line, rec.cells.iter().map(|c| c.to_string()).collect())),
                Err(ReadError::Row(e)) => out.push((e.line, vec![format!("error {:?}", e.column)])),
                Err(ReadError::Input(e)) => panic!("{e}"),
            }
        }
        out
    }

    #[test]
    fn records_start_on_the_line_an_editor_shows() {
        let want = |rows: &[(u64, &str)]| -> Vec<(u64, Vec<String>)> {
            rows.iter()
                .map(|(l, c)| (*l, c.split('|').map(String::from).collect()))
                .collect()
        };
        let expected = want(&[(1, "a|b"), (2, "1|2"), (3, "3|4")]);
        assert_eq!(lines(b"a,b\n1,2\n3,4\n"), expected);
        assert_eq!(lines(b"a,b\r\n1,2\r\n3,4\r\n"), expected);
        assert_eq!(lines(b"a,b\r1,2\r3,4"), expected);
        assert_eq!(
            lines(b"\xEF\xBB\xBF\r\na,b\r\n\r\n1,2\n\n\r\n3,4\r\n"),
            want(&[(2, "a|b"), (4, "1|2"), (7, "3|4")])
        );
        // A quoted value over two lines: the next record starts after it.
        assert_eq!(
            lines(b"a,b\r\n\"x\r\ny\",2\r\n3,4\r\n"),
            want(&[(1, "a|b"), (2, "x\r\ny|2"), (4, "3|4")])
        );
    }

    #[test]
    fn quotes_that_are_not_doubled_are_located() {
        let got = lines(b"a,b\n\"bo\"b\",2\nbo\"b,3\n\"ok \"\"x\"\"\"  ,4\n x,\"open\n");
        assert_eq!(
            got,
            [
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["error Some(4)".to_string()]),
                (3, vec!["error Some(3)".to_string()]),
                (4, vec!["ok \"x\"  ".to_string(), "4".to_string()]),
                (5, vec!["error Some(4)".to_string()]),
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_located_by_line_and_column() {
        let got = lines(b"a,b\r\nj\xc3\xa9,2\r\nk,\"x\r\nl\xe9\"\r\nm,4\r\n");
        assert_eq!(got[1], (2, vec!["jé".to_string(), "2".to_string()]));
        assert_eq!(got[2], (4, vec!["error Some(2)".to_string()]));
        assert_eq!(got[3], (5, vec!["m".to_string(), "4".to_string()]));
    }

    #[test]
    fn the_raw_text_kept_stays_small() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..200_000 {
            text.extend_from_slice(format!("{i},x\n").as_bytes());
        }
        let mut r = Records::new(&text[..]).expect("reads");
        let mut n = 0;
        while let Some(rec) = r.next_record() {
            assert!(rec.is_ok());
            n += 1;
        }
        assert_eq!(n, 200_001);
        assert!(
            r.csv.get_ref().buf.len() < 1 << 18,
            "{}",
            r.csv.get_ref().buf.len()
        );
    }
}
