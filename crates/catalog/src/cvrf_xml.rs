//! CVRF documents in XML (`Accept: application/xml`, and the archives of them).
//!
//! Documents reach 30 MB, so they are read as a stream of events (quick-xml) with a small
//! stack of the elements that matter; text is kept only for the leaf elements the model
//! needs. Elements are matched by local name, so the namespace prefixes (`cvrf:`, `prod:`,
//! `vuln:`) may be anything.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::cvrf::{self, RawDoc, RawFix, RawVuln};
use crate::error::{Error, Location, Result};
use crate::input;
use crate::model::Batch;

/// Parses one CVRF XML document (UTF-8 with or without a byte-order mark; UTF-16 with a
/// byte-order mark is transcoded first).
pub fn parse_cvrf_xml<R: BufRead>(mut reader: R) -> Result<Batch> {
    if let Some(text) = input::utf16_text(&mut reader)? {
        return cvrf::build(read(text.as_bytes())?);
    }
    cvrf::build(read(reader)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Root,
    DocumentTitle,
    DocumentTracking,
    Identification,
    Id,
    InitialReleaseDate,
    CurrentReleaseDate,
    ProductTree,
    FullProductName,
    Vulnerability,
    Cve,
    Threat,
    Remediation,
    Description,
    ProductId,
    Supercedence,
    SubType,
    FixedBuild,
    Revision,
    Date,
    Other,
}

fn tag(local: &str) -> Tag {
    match local {
        "cvrfdoc" => Tag::Root,
        "DocumentTitle" => Tag::DocumentTitle,
        "DocumentTracking" => Tag::DocumentTracking,
        "Identification" => Tag::Identification,
        "ID" => Tag::Id,
        "InitialReleaseDate" => Tag::InitialReleaseDate,
        "CurrentReleaseDate" => Tag::CurrentReleaseDate,
        "ProductTree" => Tag::ProductTree,
        "FullProductName" => Tag::FullProductName,
        "Vulnerability" => Tag::Vulnerability,
        "CVE" => Tag::Cve,
        "Threat" => Tag::Threat,
        "Remediation" => Tag::Remediation,
        "Description" => Tag::Description,
        "ProductID" => Tag::ProductId,
        "Supercedence" => Tag::Supercedence,
        "SubType" => Tag::SubType,
        "FixedBuild" => Tag::FixedBuild,
        "Revision" => Tag::Revision,
        "Date" => Tag::Date,
        _ => Tag::Other,
    }
}

/// A buffered reader that knows which line its read position is on, so errors can name a
/// line even though the parsed text is gone by then. Newlines are counted once per buffer
/// refill (and, for the current buffer, only when asked), which keeps the cost to a memchr
/// pass over the input.
struct LineReader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Newlines in the buffers already consumed.
    newlines: u64,
}

impl<R: Read> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; 1 << 16].into_boxed_slice(),
            pos: 0,
            filled: 0,
            newlines: 0,
        }
    }

    /// The 1-based line of the read position.
    fn line(&self) -> u64 {
        self.newlines + count_newlines(&self.buf[..self.pos]) + 1
    }
}

impl<R: Read> Read for LineReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LineReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.newlines += count_newlines(&self.buf[..self.filled]);
            self.pos = 0;
            self.filled = 0;
            self.filled = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Parser state: the open elements and what is being collected.
#[derive(Default)]
struct State {
    doc: RawDoc,
    stack: Vec<Tag>,
    /// Qualified names of the open elements, for the "truncated inside <x>" message.
    names: String,
    name_ends: Vec<usize>,
    in_product_tree: usize,
    /// Whether the innermost open element's text is wanted.
    capture: bool,
    text: String,
    product_id: Option<String>,
    vuln: Option<RawVuln>,
    threat_is_severity: bool,
    threat_description: Option<String>,
    threat_products: Vec<String>,
    /// The vendor fix being read; `None` inside other remediation types.
    fix: Option<RawFix>,
}

fn syntax<R: Read>(reader: &quick_xml::Reader<LineReader<R>>, message: String) -> Error {
    Error::Syntax {
        at: Location::Line(reader.get_ref().line()),
        message,
    }
}

fn read<R: Read>(reader: R) -> Result<RawDoc> {
    let mut reader = quick_xml::Reader::from_reader(LineReader::new(reader));
    let mut state = State::default();
    let mut buf = Vec::with_capacity(4096);
    let mut seen_root = false;
    let mut seen_anything = false;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let at = Location::Line(reader.get_ref().line());
                return Err(match e {
                    quick_xml::Error::Io(io) => {
                        Error::Io(io::Error::new(io.kind(), io.to_string()))
                    }
                    quick_xml::Error::Syntax(_) if seen_root => Error::Truncated {
                        at,
                        inside: state.open_element(),
                    },
                    other => Error::Syntax {
                        at,
                        message: other.to_string(),
                    },
                });
            }
        };
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                let name = e.name().as_ref().to_string();
                if tag(e.local_name().as_ref()) != Tag::Root {
                    return Err(Error::NotCvrf(format!(
                        "the root element is <{name}>, not <cvrf:cvrfdoc>"
                    )));
                }
                seen_root = true;
                state.start(&e).map_err(|m| syntax(&reader, m))?;
                if is_empty {
                    state.end();
                    break;
                }
            }
            Event::Start(e) => state.start(&e).map_err(|m| syntax(&reader, m))?,
            Event::Empty(e) => {
                state.start(&e).map_err(|m| syntax(&reader, m))?;
                state.end();
            }
            Event::End(_) => {
                state.end();
                if state.stack.is_empty() {
                    break;
                }
            }
            Event::Text(t) => {
                if state.capture {
                    state.text.push_str(&t.xml10_content());
                } else if !seen_root && !t.xml10_content().trim().is_empty() {
                    return Err(Error::NotCvrf(
                        "the input does not start with an XML element".into(),
                    ));
                }
            }
            Event::CData(t) => {
                if state.capture {
                    state.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if state.capture {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        state.text.push(c);
                    } else if let Some(s) =
                        quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                    {
                        state.text.push_str(s);
                    } else {
                        state.text.push('&');
                        state.text.push_str(&r.xml10_content());
                        state.text.push(';');
                    }
                }
                seen_anything = true;
            }
            Event::Eof => {
                if !seen_root {
                    return Err(if seen_anything {
                        Error::NotCvrf("no root element".into())
                    } else {
                        Error::Empty
                    });
                }
                return Err(Error::Truncated {
                    at: Location::Line(reader.get_ref().line()),
                    inside: state.open_element(),
                });
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {
                seen_anything = true
            }
        }
        buf.clear();
    }
    Ok(state.doc)
}

/// Whether the element has attribute `name` equal to `value` (ASCII case-insensitive,
/// trimmed).
fn attribute_is(e: &BytesStart<'_>, name: &str, value: &str) -> Result<bool, String> {
    Ok(attribute(e, name)?.is_some_and(|v| v.trim().eq_ignore_ascii_case(value)))
}

/// An attribute's value, unescaped; the error is a message for [`Error::Syntax`].
fn attribute<'a>(e: &'a BytesStart<'_>, name: &str) -> Result<Option<Cow<'a, str>>, String> {
    match e.try_get_attribute(name).map_err(|err| err.to_string())? {
        Some(a) => Ok(Some(
            a.normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| err.to_string())?,
        )),
        None => Ok(None),
    }
}

impl State {
    fn open_element(&self) -> Option<String> {
        let end = *self.name_ends.last()?;
        let start = self
            .name_ends
            .len()
            .checked_sub(2)
            .map_or(0, |i| self.name_ends[i]);
        Some(self.names[start..end].to_string())
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), String> {
        let parent = self.stack.last().copied();
        let t = tag(e.local_name().as_ref());
        self.names.push_str(e.name().as_ref());
        self.name_ends.push(self.names.len());
        self.stack.push(t);
        self.capture = false;
        match (parent, t) {
            (Some(Tag::Root), Tag::DocumentTitle)
            | (Some(Tag::Identification), Tag::Id)
            | (Some(Tag::DocumentTracking), Tag::InitialReleaseDate | Tag::CurrentReleaseDate)
            | (Some(Tag::Vulnerability), Tag::Cve) => self.capture = true,
            (Some(Tag::Revision), Tag::Date) => self.capture = self.vuln.is_some(),
            (Some(Tag::Threat), Tag::Description | Tag::ProductId) => {
                self.capture = self.threat_is_severity
            }
            (
                Some(Tag::Remediation),
                Tag::Description
                | Tag::ProductId
                | Tag::Supercedence
                | Tag::SubType
                | Tag::FixedBuild,
            ) => {
                self.capture = self.fix.is_some();
            }
            (_, Tag::ProductTree) => self.in_product_tree += 1,
            (_, Tag::FullProductName) if self.in_product_tree > 0 => {
                self.capture = true;
                self.product_id = attribute(e, "ProductID")?.map(|v| v.trim().to_string());
            }
            (_, Tag::Vulnerability) => self.vuln = Some(RawVuln::default()),
            (Some(Tag::Other), Tag::Threat) if self.vuln.is_some() => {
                self.threat_is_severity = attribute_is(e, "Type", "Severity")?;
                self.threat_description = None;
                self.threat_products.clear();
            }
            (Some(Tag::Other), Tag::Remediation) if self.vuln.is_some() => {
                self.doc.remediations += 1;
                if attribute_is(e, "Type", "Vendor Fix")? {
                    self.fix = Some(RawFix::default());
                } else {
                    self.doc.not_vendor_fix += 1;
                    self.fix = None;
                }
            }
            _ => {}
        }
        if self.capture {
            self.text.clear();
        }
        Ok(())
    }

    fn end(&mut self) {
        let Some(t) = self.stack.pop() else { return };
        self.name_ends.pop();
        self.names
            .truncate(self.name_ends.last().copied().unwrap_or(0));
        let parent = self.stack.last().copied();
        let captured = std::mem::take(&mut self.capture);
        let text = if captured {
            Some(self.text.trim().to_string())
        } else {
            None
        };
        match (parent, t, text) {
            (_, Tag::DocumentTitle, Some(text)) => self.doc.title = Some(text),
            (_, Tag::Id, Some(text)) => self.doc.id = Some(text),
            (_, Tag::InitialReleaseDate, Some(text)) => self.doc.initial_release = Some(text),
            (_, Tag::CurrentReleaseDate, Some(text)) => self.doc.current_release = Some(text),
            (_, Tag::FullProductName, Some(text)) => {
                if let Some(id) = self.product_id.take() {
                    self.doc.products.entry(id).or_insert(text);
                }
            }
            (_, Tag::ProductTree, _) => {
                self.in_product_tree = self.in_product_tree.saturating_sub(1)
            }
            (Some(Tag::Vulnerability), Tag::Cve, Some(text)) => {
                if let Some(v) = &mut self.vuln {
                    v.id = Some(text);
                }
            }
            (Some(Tag::Revision), Tag::Date, Some(text)) => {
                if let Some(v) = &mut self.vuln {
                    v.revised(text);
                }
            }
            (Some(Tag::Threat), Tag::Description, Some(text)) => {
                self.threat_description = Some(text)
            }
            (Some(Tag::Threat), Tag::ProductId, Some(text)) => self.threat_products.push(text),
            (_, Tag::Threat, _) => {
                if let (true, Some(v), Some(d)) = (
                    self.threat_is_severity,
                    &mut self.vuln,
                    self.threat_description.take(),
                ) {
                    let d: std::rc::Rc<str> = d.into();
                    for p in self.threat_products.drain(..) {
                        v.severity.insert(p, d.clone());
                    }
                }
                self.threat_is_severity = false;
            }
            (Some(Tag::Remediation), inner, Some(text)) => {
                if let Some(fix) = &mut self.fix {
                    match inner {
                        Tag::Description => fix.kb = text,
                        Tag::ProductId => fix.product_ids.push(text),
                        Tag::Supercedence => fix.supercedence = Some(text),
                        Tag::SubType => fix.sub_type = Some(text),
                        Tag::FixedBuild => fix.fixed_build = Some(text),
                        _ => {}
                    }
                }
            }
            (_, Tag::Remediation, _) => {
                if let (Some(fix), Some(v)) = (self.fix.take(), &mut self.vuln) {
                    v.fixes.push(fix);
                }
            }
            (_, Tag::Vulnerability, _) => {
                if let Some(v) = self.vuln.take() {
                    self.doc.vulns.push(v);
                }
            }
            _ => {}
        }
    }
}
