//! Recognising a catalog file by its content, and the encodings and compression around it.
//!
//! Catalog files arrive under any name (`2020-Mar`, `cvrf.xml`, `definitions.zip`,
//! `2020-Mar.xml.zst`), so the format is decided by the first bytes: the zip and zstd magic
//! numbers, then the first non-blank character (`<` XML, `{` JSON, `"` or `D` the WES-NG
//! header); the file name only breaks ties. zstd is decoded with the pure-Rust `ruzstd` (a
//! multi-frame stream is read frame after frame). UTF-16 text (what Windows PowerShell's
//! `Out-File` writes) is transcoded to UTF-8 at this boundary so the parsers see UTF-8 only.

use std::io::{self, BufRead, BufReader, Cursor, Read, Seek};

use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

use crate::error::{Error, Result};
use crate::model::Batch;
use crate::{parse_cvrf_json, parse_cvrf_xml, parse_wesng_csv, parse_wesng_zip};

/// The catalog formats kbgap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// WES-NG `definitions.zip`.
    WesngZip,
    /// A WES-NG CSV (`CVEs_*.csv`, `Custom_*.csv`).
    WesngCsv,
    /// A CVRF document in XML.
    CvrfXml,
    /// A CVRF document in JSON.
    CvrfJson,
}

const ZIP_MAGIC: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xB5, 0x2F, 0xFD];

/// Whether the bytes start a zstd frame.
pub fn is_zstd(head: &[u8]) -> bool {
    head.starts_with(ZSTD_MAGIC)
}

/// The format of a file from its first bytes (a few hundred are plenty) and its name.
pub fn sniff(name: &str, head: &[u8]) -> Option<Format> {
    if ZIP_MAGIC.iter().any(|m| head.starts_with(m)) {
        return Some(Format::WesngZip);
    }
    let text: Vec<u8> = match utf16_bom(head) {
        // Every other byte of ASCII text in UTF-16 is zero; drop them to look at the text.
        Some(_) => head[2..].iter().copied().filter(|&b| b != 0).collect(),
        None => head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head).to_vec(),
    };
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => return Some(Format::CvrfXml),
        Some(b'{') | Some(b'[') => return Some(Format::CvrfJson),
        Some(b'"') | Some(b'D') => return Some(Format::WesngCsv),
        _ => {}
    }
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".zst").unwrap_or(&lower);
    if lower.ends_with(".zip") {
        Some(Format::WesngZip)
    } else if lower.ends_with(".csv") {
        Some(Format::WesngCsv)
    } else if lower.ends_with(".xml") {
        Some(Format::CvrfXml)
    } else if lower.ends_with(".json") {
        Some(Format::CvrfJson)
    } else {
        None
    }
}

/// Parses any catalog file in memory: a WES-NG zip or CSV, or a CVRF XML or JSON document,
/// each possibly zstd-compressed. `name` is the file name (it names WES-NG sources and breaks
/// format ties).
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Vec<Batch>> {
    parse_reader(name, Cursor::new(bytes))
}

/// Like [`parse_bytes`], streaming from a reader (a `BufReader<File>`).
pub fn parse_reader<R: BufRead + Seek>(name: &str, mut reader: R) -> Result<Vec<Batch>> {
    let head = reader.fill_buf()?;
    if is_zstd(head) {
        let inner = name
            .strip_suffix(".zst")
            .or_else(|| name.strip_suffix(".ZST"))
            .unwrap_or(name);
        let decoder = Zstd::new(reader)?;
        return parse_stream(inner, BufReader::with_capacity(1 << 16, decoder));
    }
    if sniff(name, head) == Some(Format::WesngZip) {
        return parse_wesng_zip(reader);
    }
    parse_stream(name, reader)
}

fn parse_stream<R: BufRead>(name: &str, mut reader: R) -> Result<Vec<Batch>> {
    let head = reader.fill_buf()?;
    if head.is_empty() {
        return Err(Error::Empty);
    }
    match sniff(name, head) {
        Some(Format::WesngZip) => {
            let mut all = Vec::new();
            reader.read_to_end(&mut all)?;
            parse_wesng_zip(Cursor::new(all))
        }
        Some(Format::CvrfXml) => Ok(vec![parse_cvrf_xml(reader)?]),
        Some(Format::CvrfJson) => Ok(vec![parse_cvrf_json(reader)?]),
        Some(Format::WesngCsv) => Ok(vec![parse_wesng_csv(name, reader)?]),
        None if head.iter().all(u8::is_ascii_whitespace) => Err(Error::Empty),
        None => Err(Error::UnknownFormat(
            "neither a zip, a zstd stream, XML, JSON nor a WES-NG CSV".into(),
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16 {
    Le,
    Be,
}

pub(crate) fn utf16_bom(head: &[u8]) -> Option<Utf16> {
    if head.starts_with(&[0xFF, 0xFE]) {
        Some(Utf16::Le)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some(Utf16::Be)
    } else {
        None
    }
}

/// When `reader` holds UTF-16 with a byte-order mark, reads it all and returns it as UTF-8
/// (invalid sequences replaced); `None`, having read nothing, for anything else.
pub(crate) fn utf16_text<R: BufRead>(reader: &mut R) -> io::Result<Option<String>> {
    let Some(order) = utf16_bom(reader.fill_buf()?) else {
        return Ok(None);
    };
    let mut all = Vec::new();
    reader.read_to_end(&mut all)?;
    let units = all[2..].chunks_exact(2).map(|c| match order {
        Utf16::Le => u16::from_le_bytes([c[0], c[1]]),
        Utf16::Be => u16::from_be_bytes([c[0], c[1]]),
    });
    Ok(Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    ))
}

/// A zstd decoder that reads every frame of a stream, not only the first.
struct Zstd<R: BufRead> {
    decoder: Option<StreamingDecoder<R, FrameDecoder>>,
}

impl<R: BufRead> Zstd<R> {
    fn new(source: R) -> Result<Self> {
        let decoder = StreamingDecoder::new(source).map_err(|e| Error::Zstd(e.to_string()))?;
        Ok(Zstd {
            decoder: Some(decoder),
        })
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This frame is done; another may follow.
            let mut source = self
                .decoder
                .take()
                .map(StreamingDecoder::into_inner)
                .expect("decoder present");
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let next = StreamingDecoder::new(source).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("zstd stream: {e}"))
            })?;
            self.decoder = Some(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_content_then_name() {
        assert_eq!(sniff("x", b"PK\x03\x04rest"), Some(Format::WesngZip));
        assert_eq!(sniff("x", b"\xEF\xBB\xBF<?xml"), Some(Format::CvrfXml));
        assert_eq!(sniff("x", b"\xFF\xFE<\0?\0"), Some(Format::CvrfXml));
        assert_eq!(sniff("x", b"  {\"a\""), Some(Format::CvrfJson));
        assert_eq!(
            sniff("x", b"\"DatePosted\",\"CVE\""),
            Some(Format::WesngCsv)
        );
        assert_eq!(sniff("a.json.zst", b""), Some(Format::CvrfJson));
        assert_eq!(sniff("a.bin", b"\x00\x01"), None);
    }

    #[test]
    fn utf16_is_transcoded() {
        let bytes: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a>é</a>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let text = utf16_text(&mut bytes.as_slice()).unwrap().unwrap();
        assert_eq!(text, "<a>é</a>");
    }
}
