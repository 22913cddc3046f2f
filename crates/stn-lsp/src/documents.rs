//! The open documents: each one's text, version, line index and analysis,
//! by URI. The server asks for full sync; a change with a range is applied
//! too (a client may send one), then the document is analysed once.

use std::collections::HashMap;

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use crate::analysis::Analysis;
use crate::position::{Encoding, LineIndex};

/// One open document.
pub struct Document {
    pub version: i32,
    pub lines: LineIndex,
    pub analysis: Analysis,
}

impl Document {
    fn new(text: String, version: i32, encoding: Encoding) -> Document {
        Document {
            version,
            lines: LineIndex::new(&text, encoding),
            analysis: Analysis::new(text),
        }
    }

    /// The document's text.
    pub fn text(&self) -> &str {
        &self.analysis.text
    }
}

/// Open documents by URI.
#[derive(Default)]
pub struct Documents {
    docs: HashMap<String, Document>,
    encoding: Encoding,
}

impl Documents {
    /// No documents; positions in `encoding`.
    pub fn new(encoding: Encoding) -> Documents {
        Documents {
            docs: HashMap::new(),
            encoding,
        }
    }

    /// Opens (or replaces) a document.
    pub fn open(&mut self, uri: &Uri, version: i32, text: String) -> &Document {
        let doc = Document::new(text, version, self.encoding);
        self.put(uri.as_str().to_string(), doc)
    }

    fn put(&mut self, key: String, doc: Document) -> &Document {
        self.docs.insert(key.clone(), doc);
        &self.docs[&key]
    }

    /// Applies `changes` in order to a document (opening it, empty, if
    /// the client never did) and analyses the result.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> &Document {
        let key = uri.as_str().to_string();
        let mut text = self
            .docs
            .remove(&key)
            .map(|d| d.analysis.text)
            .unwrap_or_default();
        for c in changes {
            match c.range {
                None => text = c.text,
                Some(range) => {
                    let span = LineIndex::new(&text, self.encoding).span(&text, range);
                    text.replace_range(span.start..span.end, &c.text);
                }
            }
        }
        let doc = Document::new(text, version, self.encoding);
        self.put(key, doc)
    }

    /// Forgets a document.
    pub fn close(&mut self, uri: &Uri) {
        self.docs.remove(uri.as_str());
    }

    /// An open document.
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri.as_str())
    }
}
