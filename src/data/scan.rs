//! One streaming pass over a dataset file: its sha256 fingerprint and, for CSV, a structural
//! check (UTF-8, quoting, fields per row) that can say exactly where a file goes wrong. polars
//! reports such problems without a line number, so this pass runs beside the polars read and its
//! error wins when both fail.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{DataError, DataFormat};

const CHUNK: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanSummary {
    pub sha256: String,
    pub bytes: u64,
    /// Data rows (CSV only; records after the header, blank lines not counted).
    pub csv_rows: Option<u64>,
    /// Blank lines after the header (CSV only): polars reads them as rows of missing values.
    pub csv_blank_lines: u64,
}

/// Hashes the file and checks its structure. `on_progress` gets (bytes done, bytes total).
pub fn scan_file(
    path: &Path,
    format: DataFormat,
    on_progress: &dyn Fn(u64, u64),
) -> Result<ScanSummary, DataError> {
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let total = file.metadata().map_err(|e| DataError::io(path, e))?.len();
    let mut hasher = Sha256::new();
    let mut checker = match format {
        DataFormat::Csv => Some(CsvChecker::new(path)),
        DataFormat::Parquet => None,
    };
    let mut buf = vec![0u8; CHUNK];
    // Up to 3 bytes of a UTF-8 sequence cut by a chunk boundary.
    let mut carry: Vec<u8> = Vec::new();
    let mut done = 0u64;
    let mut head = Vec::new();
    let cr_only =
        format == DataFormat::Csv && sniff_cr_only(path).map_err(|e| DataError::io(path, e))?;
    loop {
        let n = file.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        if head.len() < 4 {
            head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
        }
        if let Some(checker) = checker.as_mut() {
            let mut joined;
            let text: &[u8] = if carry.is_empty() {
                chunk
            } else {
                joined = std::mem::take(&mut carry);
                joined.extend_from_slice(chunk);
                &joined[..]
            };
            let valid_len = match std::str::from_utf8(text) {
                Ok(_) => text.len(),
                Err(e) if e.error_len().is_none() => {
                    carry = text[e.valid_up_to()..].to_vec();
                    e.valid_up_to()
                }
                Err(e) => {
                    // The lines before the bad byte are checked first, so an earlier problem
                    // is the one reported.
                    checker.feed(&text[..e.valid_up_to()])?;
                    return Err(checker.invalid_utf8(text[e.valid_up_to()]));
                }
            };
            if cr_only {
                // Old Mac exports end lines with a lone CR: as line breaks they are LFs.
                let translated: Vec<u8> = text[..valid_len]
                    .iter()
                    .map(|&b| if b == b'\r' { b'\n' } else { b })
                    .collect();
                checker.feed(&translated)?;
            } else {
                checker.feed(&text[..valid_len])?;
            }
        }
        done += n as u64;
        on_progress(done, total);
    }
    let (csv_rows, csv_blank_lines) = match checker {
        Some(mut checker) => {
            if let Some(&byte) = carry.first() {
                return Err(checker.invalid_utf8(byte));
            }
            (Some(checker.finish()?), checker.blank_lines)
        }
        None => {
            check_parquet_frame(path, &head, total)?;
            (None, 0)
        }
    };
    Ok(ScanSummary {
        sha256: hex(&hasher.finalize()),
        bytes: done,
        csv_rows,
        csv_blank_lines,
    })
}

/// Bytes looked at to tell a file's line endings.
const SNIFF_BYTES: usize = 64 * 1024;

/// `true` when the file's lines end with a lone CR (classic Mac OS): its start holds a CR and
/// no LF at all. CRLF and LF files are read as they are.
pub fn sniff_cr_only(path: &Path) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    std::fs::File::open(path)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(memchr::memchr(b'\r', &head).is_some() && memchr::memchr(b'\n', &head).is_none())
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A Parquet file starts and ends with the magic `PAR1`, and the 4 bytes before the final magic
/// give the footer's length, which must fit in the file. A copy cut short fails here with a plain
/// reason instead of deep inside the decoder.
fn check_parquet_frame(path: &Path, head: &[u8], total: u64) -> Result<(), DataError> {
    let bad = |reason: String| DataError::Parquet {
        path: path.to_path_buf(),
        reason,
    };
    if total == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    if head != b"PAR1" {
        return Err(bad("missing the 'PAR1' magic at the start".into()));
    }
    if total < 12 {
        return Err(bad(format!("truncated: only {total} bytes")));
    }
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::End(-8))
        .map_err(|e| DataError::io(path, e))?;
    let mut tail = [0u8; 8];
    file.read_exact(&mut tail)
        .map_err(|e| DataError::io(path, e))?;
    if &tail[4..] != b"PAR1" {
        return Err(bad(format!(
            "truncated or incomplete: the file ({total} bytes) does not end with the 'PAR1' \
             footer magic"
        )));
    }
    let footer_len = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    if footer_len + 12 > total {
        return Err(bad(format!(
            "corrupt footer: it claims {footer_len} bytes but the file has {total}"
        )));
    }
    Ok(())
}

/// An RFC 4180 state machine over bytes (separator ',', quote '"', LF or CRLF line ends; lone
/// CRs are translated to LF before they reach it).
struct CsvChecker<'a> {
    path: &'a Path,
    line: u64,
    /// Characters seen on the current line so far (for 1-based columns).
    column: u64,
    in_quotes: bool,
    after_quote: bool,
    at_field_start: bool,
    record_bytes: u64,
    fields: usize,
    record_line: u64,
    quote_line: u64,
    quote_column: u64,
    header_fields: Option<usize>,
    header: Vec<u8>,
    rows: u64,
    blank_lines: u64,
    /// The current record holds something other than white space.
    record_text: bool,
}

impl<'a> CsvChecker<'a> {
    fn new(path: &'a Path) -> Self {
        Self {
            path,
            line: 1,
            column: 0,
            in_quotes: false,
            after_quote: false,
            at_field_start: true,
            record_bytes: 0,
            fields: 1,
            record_line: 1,
            quote_line: 0,
            quote_column: 0,
            header_fields: None,
            header: Vec::new(),
            rows: 0,
            blank_lines: 0,
            record_text: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), DataError> {
        let mut i = 0;
        while i < bytes.len() {
            // Fast path: the complete lines up to the next quote character hold no quoted field,
            // so commas and line breaks alone give every line's field count; memchr finds them
            // with SIMD. The byte-by-byte state machine is for the header, quoted fields and a
            // line cut by a chunk boundary.
            if self.header_fields.is_some() && self.at_record_start() {
                let rest = &bytes[i..];
                let quote_free = &rest[..memchr::memchr(b'"', rest).unwrap_or(rest.len())];
                if let Some(last_break) = memchr::memrchr(b'\n', quote_free) {
                    self.whole_lines(&quote_free[..last_break])?;
                    i += last_break + 1;
                    continue;
                }
            }
            self.feed_byte(bytes[i])?;
            i += 1;
        }
        Ok(())
    }

    fn at_record_start(&self) -> bool {
        self.column == 0
            && !self.in_quotes
            && !self.after_quote
            && self.fields == 1
            && self.record_bytes == 0
            && !self.record_text
    }

    /// Complete data lines holding no quote character, without the last line break. Line breaks
    /// are sparse, so memchr finds them fast; commas are dense, so a plain count (which the
    /// compiler vectorises) beats searching for them one by one.
    fn whole_lines(&mut self, block: &[u8]) -> Result<(), DataError> {
        let mut line_start = 0;
        for position in memchr::memchr_iter(b'\n', block) {
            let line = &block[line_start..position];
            self.whole_line(line, commas(line) + 1)?;
            line_start = position + 1;
        }
        let last = &block[line_start..];
        self.whole_line(last, commas(last) + 1)
    }

    fn whole_line(&mut self, line: &[u8], fields: usize) -> Result<(), DataError> {
        self.fields = fields;
        // Only a single-field line can be blank; looking for text elsewhere is wasted work.
        self.record_text = fields > 1 || line.iter().any(|b| !b.is_ascii_whitespace());
        self.record_bytes = line.len() as u64;
        self.end_record()?;
        self.line += 1;
        self.record_line = self.line;
        Ok(())
    }

    fn feed_byte(&mut self, b: u8) -> Result<(), DataError> {
        // Columns count characters, so UTF-8 continuation bytes do not advance them.
        if b & 0xC0 != 0x80 {
            self.column += 1;
        }
        if self.header_fields.is_none() {
            self.header.push(b);
        }
        if self.in_quotes {
            self.record_bytes += 1;
            self.record_text = true;
            if b == b'"' {
                self.in_quotes = false;
                self.after_quote = true;
            } else if b == b'\n' {
                self.line += 1;
                self.column = 0;
            }
            return Ok(());
        }
        match b {
            b'\n' => {
                self.end_record()?;
                self.line += 1;
                self.column = 0;
                self.record_line = self.line;
            }
            b'\r' => {}
            b',' => {
                self.fields += 1;
                self.record_bytes += 1;
                self.at_field_start = true;
                self.after_quote = false;
            }
            b'"' if self.after_quote => {
                // A doubled quote inside a quoted field.
                self.in_quotes = true;
                self.after_quote = false;
                self.record_bytes += 1;
            }
            b'"' if self.at_field_start => {
                self.in_quotes = true;
                self.record_text = true;
                self.at_field_start = false;
                self.quote_line = self.line;
                self.quote_column = self.column;
                self.record_bytes += 1;
            }
            b'"' => {
                return Err(DataError::StrayQuote {
                    path: self.path.to_path_buf(),
                    line: self.line,
                    column: self.column,
                });
            }
            _ if self.after_quote => {
                return Err(DataError::TextAfterQuote {
                    path: self.path.to_path_buf(),
                    line: self.line,
                    column: self.column,
                });
            }
            _ => {
                self.at_field_start = false;
                self.record_bytes += 1;
                if !b.is_ascii_whitespace() {
                    self.record_text = true;
                }
            }
        }
        Ok(())
    }

    fn end_record(&mut self) -> Result<(), DataError> {
        // A line of nothing but white space is blank: skipped before the header, counted after
        // it (polars reads those as rows of missing values, which the loader drops).
        let blank = !self.record_text && self.fields == 1;
        if blank {
            if self.header_fields.is_some() {
                self.blank_lines += 1;
            } else {
                self.header.clear();
            }
        } else {
            match self.header_fields {
                None => {
                    self.check_header()?;
                    self.header_fields = Some(self.fields);
                }
                Some(expected) if expected != self.fields => {
                    return Err(DataError::RaggedRow {
                        path: self.path.to_path_buf(),
                        line: self.record_line,
                        expected,
                        found: self.fields,
                    });
                }
                Some(_) => self.rows += 1,
            }
        }
        self.fields = 1;
        self.record_bytes = 0;
        self.record_text = false;
        self.at_field_start = true;
        self.after_quote = false;
        Ok(())
    }

    fn check_header(&self) -> Result<(), DataError> {
        let text = String::from_utf8_lossy(&self.header);
        let names = split_header(text.trim_end_matches(['\r', '\n']));
        for (i, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(DataError::EmptyHeaderName {
                    path: self.path.to_path_buf(),
                    line: self.record_line,
                    column: i + 1,
                });
            }
            if let Some(first) = names[..i].iter().position(|n| n == name) {
                return Err(DataError::DuplicateHeader {
                    path: self.path.to_path_buf(),
                    line: self.record_line,
                    name: name.clone(),
                    first: first + 1,
                    second: i + 1,
                });
            }
        }
        Ok(())
    }

    fn invalid_utf8(&self, byte: u8) -> DataError {
        DataError::InvalidUtf8 {
            path: self.path.to_path_buf(),
            line: self.line,
            column: self.column + 1,
            byte,
        }
    }

    fn finish(&mut self) -> Result<u64, DataError> {
        if self.in_quotes {
            return Err(DataError::UnclosedQuote {
                path: self.path.to_path_buf(),
                line: self.quote_line,
                column: self.quote_column,
            });
        }
        // The last record when the file does not end with a line break.
        if self.record_bytes > 0 || self.fields > 1 || self.record_text {
            self.end_record()?;
        }
        if self.header_fields.is_none() {
            return Err(DataError::Empty {
                path: self.path.to_path_buf(),
            });
        }
        if self.rows == 0 {
            return Err(DataError::HeaderOnly {
                path: self.path.to_path_buf(),
            });
        }
        Ok(self.rows)
    }
}

fn commas(line: &[u8]) -> usize {
    line.iter().filter(|&&b| b == b',').count()
}

/// Splits one header line into names (quotes removed, doubled quotes undone).
fn split_header(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => names.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    names.push(current);
    names
}
