//! Which format a panel file is in: one rule for every caller (the server, `pas
//! validate-panel`, the FFI), so the same file is read the same way everywhere.
//!
//! The rule, first match wins: an explicit choice; a media type naming CSV (`text/csv`) or FHIR
//! JSON (`application/fhir+json`, `application/json`); a file name ending in `.csv` or `.json`
//! (any case); else the content — after an optional UTF-8 BOM and white space, `{` is FHIR JSON
//! and anything else (including an empty file) is CSV, whose reader then explains what is
//! wrong with it.

use std::io::{self, Read};

/// The input again after [`PanelFormat::sniff`]: the bytes it read, then the rest.
pub type Sniffed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A panel's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanelFormat {
    /// `panel.csv` (DOMAIN §7).
    Csv,
    /// A FHIR R4 Bundle or Group as JSON (DOMAIN §8).
    Fhir,
}

impl PanelFormat {
    /// The format a media type names (parameters such as `; charset=utf-8` ignored); `None` for
    /// any other type.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("text/csv") {
            Some(Self::Csv)
        } else if essence.eq_ignore_ascii_case("application/fhir+json")
            || essence.eq_ignore_ascii_case("application/json")
        {
            Some(Self::Fhir)
        } else {
            None
        }
    }

    /// The format a file name's extension names (`.csv`, `.json`, any case); `None` otherwise.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        if extension.eq_ignore_ascii_case("csv") {
            Some(Self::Csv)
        } else if extension.eq_ignore_ascii_case("json") {
            Some(Self::Fhir)
        } else {
            None
        }
    }

    /// The format by the first bytes of the content: `None` while `head` holds nothing but a
    /// BOM and white space (read more, or call it CSV at the end of the input).
    pub fn from_head(head: &[u8]) -> Option<Self> {
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        body.iter()
            .find(|b| !b.is_ascii_whitespace())
            .map(|&b| if b == b'{' { Self::Fhir } else { Self::Csv })
    }

    /// Decide by the content: reads the first bytes of `input` (as few as needed) and returns
    /// the format and a reader that yields the whole input again, those bytes included.
    pub fn sniff<R: Read>(mut input: R) -> io::Result<(Self, Sniffed<R>)> {
        let mut head = Vec::new();
        let mut chunk = [0u8; 512];
        let format = loop {
            let n = match input.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let Some(read) = chunk.get(..n).filter(|r| !r.is_empty()) else {
                break Self::Csv;
            };
            head.extend_from_slice(read);
            if let Some(format) = Self::from_head(&head) {
                break format;
            }
        };
        Ok((format, io::Cursor::new(head).chain(input)))
    }

    /// The whole rule: `explicit`, else the media type, else the file name, else `None` (then
    /// decide by the content with [`PanelFormat::sniff`]).
    pub fn declared(explicit: Option<Self>, media_type: Option<&str>, file_name: Option<&str>) -> Option<Self> {
        explicit
            .or_else(|| media_type.and_then(Self::from_media_type))
            .or_else(|| file_name.and_then(Self::from_file_name))
    }

    /// `csv` or `fhir`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Fhir => "fhir",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_names_and_content() {
        use PanelFormat::{Csv, Fhir};
        assert_eq!(PanelFormat::from_media_type("text/csv; charset=utf-8"), Some(Csv));
        assert_eq!(PanelFormat::from_media_type("Application/FHIR+json"), Some(Fhir));
        assert_eq!(PanelFormat::from_media_type("application/json"), Some(Fhir));
        assert_eq!(PanelFormat::from_media_type("application/octet-stream"), None);
        assert_eq!(PanelFormat::from_file_name("clinic.export.JSON"), Some(Fhir));
        assert_eq!(PanelFormat::from_file_name("panel.csv"), Some(Csv));
        assert_eq!(PanelFormat::from_file_name("panel"), None);
        assert_eq!(
            PanelFormat::from_head(b"\xEF\xBB\xBF \n\t{\"resourceType\""),
            Some(Fhir)
        );
        assert_eq!(PanelFormat::from_head(b"msp_practitioner_number,phn"), Some(Csv));
        assert_eq!(PanelFormat::from_head(b"\xEF\xBB\xBF  \r\n"), None);
        assert_eq!(
            PanelFormat::declared(Some(Csv), Some("application/json"), Some("a.json")),
            Some(Csv)
        );
        assert_eq!(
            PanelFormat::declared(None, Some("text/plain"), Some("a.json")),
            Some(Fhir)
        );
        assert_eq!(PanelFormat::declared(None, None, Some("a.txt")), None);
    }

    #[test]
    fn sniffing_gives_back_every_byte() {
        // White space longer than one read, then JSON.
        let mut data = vec![b' '; 2000];
        data.extend_from_slice(b"{\"resourceType\":\"Group\"}");
        let (format, mut reader) = PanelFormat::sniff(&data[..]).unwrap();
        assert_eq!(format, PanelFormat::Fhir);
        let mut back = Vec::new();
        reader.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let (format, mut reader) = PanelFormat::sniff(&b""[..]).unwrap();
        assert_eq!(format, PanelFormat::Csv);
        assert_eq!(reader.read(&mut [0u8; 4]).unwrap(), 0);
    }
}
