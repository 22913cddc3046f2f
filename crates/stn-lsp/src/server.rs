//! The server's state and its dispatch: one message in, the messages to
//! send back out. No I/O here (`lsp::serve` moves the messages), so tests
//! drive it message by message.
//!
//! A request whose parameters do not parse is answered with
//! `InvalidParams`, an unknown one with `MethodNotFound`; a request about
//! a document that is not open gets an empty answer. A panic in a handler
//! (a bug) is caught and answered with `InternalError`, so one bad request
//! never ends the session.

use std::panic::{AssertUnwindSafe, catch_unwind};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentHighlightRequest, DocumentSymbolRequest,
    FoldingRangeRequest, Formatting, GotoDefinition, HoverRequest, PrepareRenameRequest,
    References, Rename, Request as _, SemanticTokensFullRequest, SignatureHelpRequest,
};
use lsp_types::{
    CompletionOptions, CompletionResponse, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, InitializeParams, Location, MarkupContent, MarkupKind, OneOf,
    PublishDiagnosticsParams, SemanticTokens, SemanticTokensFullOptions, SemanticTokensLegend,
    SemanticTokensOptions, SemanticTokensResult, SemanticTokensServerCapabilities,
    ServerCapabilities, TextDocumentPositionParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri,
};
use serde_json::Value;

use crate::documents::{Document, Documents};
use crate::position::Encoding;
use crate::{completion, diagnostics, format, hover, signature, symbols, tokens};

/// The server: open documents and the position encoding agreed on.
pub struct Server {
    docs: Documents,
    encoding: Encoding,
}

impl Server {
    /// A server for a client that sent `params` to `initialize`.
    pub fn new(params: &InitializeParams) -> Server {
        let offered =
            (params.capabilities.general.as_ref()).and_then(|g| g.position_encodings.as_deref());
        let encoding = Encoding::negotiate(offered);
        Server {
            docs: Documents::new(encoding),
            encoding,
        }
    }

    /// What the server can do, for the `initialize` answer.
    pub fn capabilities(&self) -> ServerCapabilities {
        ServerCapabilities {
            position_encoding: Some(self.encoding.kind()),
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            document_highlight_provider: Some(OneOf::Left(true)),
            signature_help_provider: Some(lsp_types::SignatureHelpOptions {
                trigger_characters: Some(vec!["(".to_string(), ",".to_string()]),
                ..lsp_types::SignatureHelpOptions::default()
            }),
            code_action_provider: Some(lsp_types::CodeActionProviderCapability::Options(
                lsp_types::CodeActionOptions {
                    code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX]),
                    ..lsp_types::CodeActionOptions::default()
                },
            )),
            document_symbol_provider: Some(OneOf::Left(true)),
            folding_range_provider: Some(lsp_types::FoldingRangeProviderCapability::Simple(true)),
            rename_provider: Some(OneOf::Right(lsp_types::RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_formatting_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                // Not space: `x[0, ` and a space would pop every name up.
                trigger_characters: Some(vec![":".to_string(), ">".to_string()]),
                ..CompletionOptions::default()
            }),
            semantic_tokens_provider: Some(
                SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    legend: SemanticTokensLegend {
                        token_types: tokens::TYPES.to_vec(),
                        token_modifiers: tokens::MODIFIERS.to_vec(),
                    },
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    ..SemanticTokensOptions::default()
                }),
            ),
            ..ServerCapabilities::default()
        }
    }

    /// The messages that answer `msg`: a response to a request, published
    /// diagnostics after a change.
    pub fn handle(&mut self, msg: Message) -> Vec<Message> {
        match msg {
            Message::Request(req) => {
                let id = req.id.clone();
                let resp =
                    catch_unwind(AssertUnwindSafe(|| self.request(req))).unwrap_or_else(|_| {
                        let msg = "internal error in stn lsp (a bug in stn)".to_string();
                        Response::new_err(id, ErrorCode::InternalError as i32, msg)
                    });
                vec![resp.into()]
            }
            Message::Notification(n) => catch_unwind(AssertUnwindSafe(|| self.notification(n)))
                .unwrap_or_default()
                .into_iter()
                .map(Message::from)
                .collect(),
            Message::Response(_) => Vec::new(),
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let Request { id, method, params } = req;
        match method.as_str() {
            HoverRequest::METHOD => self.answer::<HoverRequest>(id, params, Self::hover),
            GotoDefinition::METHOD => self.answer::<GotoDefinition>(id, params, Self::definition),
            References::METHOD => self.answer::<References>(id, params, Self::references),
            Completion::METHOD => self.answer::<Completion>(id, params, Self::completion),
            Formatting::METHOD => self.answer::<Formatting>(id, params, Self::formatting),
            SignatureHelpRequest::METHOD => {
                self.answer::<SignatureHelpRequest>(id, params, Self::signature_help)
            }
            CodeActionRequest::METHOD => {
                self.answer::<CodeActionRequest>(id, params, Self::code_actions)
            }
            DocumentHighlightRequest::METHOD => {
                self.answer::<DocumentHighlightRequest>(id, params, Self::highlights)
            }
            DocumentSymbolRequest::METHOD => {
                self.answer::<DocumentSymbolRequest>(id, params, Self::outline)
            }
            FoldingRangeRequest::METHOD => {
                self.answer::<FoldingRangeRequest>(id, params, Self::folds)
            }
            PrepareRenameRequest::METHOD => {
                self.answer::<PrepareRenameRequest>(id, params, Self::prepare_rename)
            }
            Rename::METHOD => self.rename(id, params),
            SemanticTokensFullRequest::METHOD => {
                self.answer::<SemanticTokensFullRequest>(id, params, Self::semantic_tokens)
            }
            m => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("stn lsp does not handle `{m}`"),
            ),
        }
    }

    /// Parses `params` as request `R`'s and answers with `f`'s result.
    fn answer<R: lsp_types::request::Request>(
        &mut self,
        id: RequestId,
        params: Value,
        f: impl FnOnce(&mut Self, R::Params) -> R::Result,
    ) -> Response {
        match serde_json::from_value::<R::Params>(params) {
            Ok(p) => Response::new_ok(id, f(self, p)),
            Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
        }
    }

    /// The document and byte offset of a position.
    fn at(&self, p: &TextDocumentPositionParams) -> Option<(&Document, usize)> {
        let doc = self.docs.get(&p.text_document.uri)?;
        let offset = doc.lines.offset(doc.text(), p.position);
        Some((doc, offset))
    }

    fn hover(&mut self, p: lsp_types::HoverParams) -> Option<Hover> {
        let (doc, offset) = self.at(&p.text_document_position_params)?;
        let (span, text) = hover::hover(&doc.analysis, offset)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: text,
            }),
            range: Some(doc.lines.range(doc.text(), span)),
        })
    }

    fn definition(&mut self, p: lsp_types::GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let uri = p.text_document_position_params.text_document.uri.clone();
        let (doc, offset) = self.at(&p.text_document_position_params)?;
        let span = doc.analysis.definition(offset)?;
        let range = doc.lines.range(doc.text(), span);
        Some(GotoDefinitionResponse::Scalar(Location::new(uri, range)))
    }

    fn references(&mut self, p: lsp_types::ReferenceParams) -> Option<Vec<Location>> {
        let uri = p.text_document_position.text_document.uri.clone();
        let (doc, offset) = self.at(&p.text_document_position)?;
        let spans = doc
            .analysis
            .references(offset, p.context.include_declaration);
        let locs = spans
            .into_iter()
            .map(|s| Location::new(uri.clone(), doc.lines.range(doc.text(), s)));
        Some(locs.collect())
    }

    fn completion(&mut self, p: lsp_types::CompletionParams) -> Option<CompletionResponse> {
        let (doc, offset) = self.at(&p.text_document_position)?;
        Some(CompletionResponse::Array(completion::complete(
            &doc.analysis,
            offset,
        )))
    }

    fn formatting(&mut self, p: lsp_types::DocumentFormattingParams) -> Option<Vec<TextEdit>> {
        let doc = self.docs.get(&p.text_document.uri)?;
        let text = doc.text();
        let Some(formatted) = format::format(text) else {
            return Some(Vec::new());
        };
        let whole = doc
            .lines
            .range(text, stn::internals::diag::Span::new(0, text.len()));
        Some(vec![TextEdit::new(whole, formatted)])
    }

    fn signature_help(
        &mut self,
        p: lsp_types::SignatureHelpParams,
    ) -> Option<lsp_types::SignatureHelp> {
        use lsp_types::{
            Documentation, ParameterInformation, ParameterLabel, SignatureInformation,
        };
        let (doc, offset) = self.at(&p.text_document_position_params)?;
        let sig = signature::signature_help(&doc.analysis, offset)?;
        let parameters = (sig.params.iter())
            .map(|p| ParameterInformation {
                label: ParameterLabel::Simple(p.clone()),
                documentation: None,
            })
            .collect();
        Some(lsp_types::SignatureHelp {
            signatures: vec![SignatureInformation {
                label: sig.label,
                documentation: Some(Documentation::String(sig.doc)),
                parameters: Some(parameters),
                active_parameter: Some(sig.active as u32),
            }],
            active_signature: Some(0),
            active_parameter: Some(sig.active as u32),
        })
    }

    fn code_actions(
        &mut self,
        p: lsp_types::CodeActionParams,
    ) -> Option<lsp_types::CodeActionResponse> {
        let doc = self.docs.get(&p.text_document.uri)?;
        let text = doc.text();
        let start = doc.lines.offset(text, p.range.start);
        let end = doc.lines.offset(text, p.range.end);
        let span = stn::internals::diag::Span::new(start, end.max(start));
        let diags = doc.analysis.diagnostics();
        let fixes = diagnostics::quick_fixes(&p.text_document.uri, text, &doc.lines, diags, span);
        Some(
            fixes
                .into_iter()
                .map(lsp_types::CodeActionOrCommand::CodeAction)
                .collect(),
        )
    }

    fn highlights(
        &mut self,
        p: lsp_types::DocumentHighlightParams,
    ) -> Option<Vec<lsp_types::DocumentHighlight>> {
        use lsp_types::{DocumentHighlight, DocumentHighlightKind};
        let (doc, offset) = self.at(&p.text_document_position_params)?;
        let marks = symbols::highlights(&doc.analysis, offset);
        let marks = marks.into_iter().map(|(span, def)| DocumentHighlight {
            range: doc.lines.range(doc.text(), span),
            kind: Some(match def {
                true => DocumentHighlightKind::WRITE,
                false => DocumentHighlightKind::READ,
            }),
        });
        Some(marks.collect())
    }

    fn outline(
        &mut self,
        p: lsp_types::DocumentSymbolParams,
    ) -> Option<lsp_types::DocumentSymbolResponse> {
        let doc = self.docs.get(&p.text_document.uri)?;
        let entries = symbols::outline(&doc.analysis);
        let nested = entries.iter().map(|e| document_symbol(doc, e)).collect();
        Some(lsp_types::DocumentSymbolResponse::Nested(nested))
    }

    fn folds(&mut self, p: lsp_types::FoldingRangeParams) -> Option<Vec<lsp_types::FoldingRange>> {
        let doc = self.docs.get(&p.text_document.uri)?;
        let ranges = symbols::folds(&doc.analysis)
            .into_iter()
            .filter_map(|span| {
                let r = doc.lines.range(doc.text(), span);
                (r.end.line > r.start.line).then(|| lsp_types::FoldingRange {
                    start_line: r.start.line,
                    end_line: r.end.line,
                    ..lsp_types::FoldingRange::default()
                })
            });
        Some(ranges.collect())
    }

    fn prepare_rename(
        &mut self,
        p: TextDocumentPositionParams,
    ) -> Option<lsp_types::PrepareRenameResponse> {
        let (doc, offset) = self.at(&p)?;
        doc.analysis.definition(offset)?;
        let at = doc.analysis.index().at(offset)?;
        let range = doc.lines.range(doc.text(), at.span);
        Some(lsp_types::PrepareRenameResponse::Range(range))
    }

    /// A rename, or an error that says why the new name cannot be taken.
    #[allow(
        clippy::mutable_key_type,
        reason = "lsp_types' WorkspaceEdit keys its changes by Uri"
    )]
    fn rename(&mut self, id: RequestId, params: Value) -> Response {
        let p = match serde_json::from_value::<lsp_types::RenameParams>(params) {
            Ok(p) => p,
            Err(e) => return Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
        };
        let uri = p.text_document_position.text_document.uri.clone();
        let Some((doc, offset)) = self.at(&p.text_document_position) else {
            return Response::new_ok(id, Option::<lsp_types::WorkspaceEdit>::None);
        };
        match symbols::rename(&doc.analysis, offset, &p.new_name) {
            Ok(spans) => {
                let edits = (spans.into_iter())
                    .map(|s| TextEdit::new(doc.lines.range(doc.text(), s), p.new_name.clone()))
                    .collect();
                let changes = std::collections::HashMap::from([(uri, edits)]);
                Response::new_ok(id, lsp_types::WorkspaceEdit::new(changes))
            }
            Err(why) => Response::new_err(id, ErrorCode::InvalidRequest as i32, why),
        }
    }

    fn semantic_tokens(
        &mut self,
        p: lsp_types::SemanticTokensParams,
    ) -> Option<SemanticTokensResult> {
        let doc = self.docs.get(&p.text_document.uri)?;
        let toks = tokens::tokens(&doc.analysis);
        Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data: tokens::encode(doc.text(), &doc.lines, &toks),
        }))
    }

    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = parse::<DidOpenTextDocument>(n.params) else {
                    return Vec::new();
                };
                let d = p.text_document;
                self.docs.open(&d.uri, d.version, d.text);
                d.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = parse::<DidChangeTextDocument>(n.params) else {
                    return Vec::new();
                };
                let d = p.text_document;
                self.docs.change(&d.uri, d.version, p.content_changes);
                d.uri
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = parse::<DidSaveTextDocument>(n.params) else {
                    return Vec::new();
                };
                if let Some(text) = p.text {
                    let version = self.docs.get(&p.text_document.uri).map_or(0, |d| d.version);
                    self.docs.open(&p.text_document.uri, version, text);
                }
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = parse::<DidCloseTextDocument>(n.params) else {
                    return Vec::new();
                };
                self.docs.close(&p.text_document.uri);
                // Diagnostics of a closed file are cleared.
                return vec![publish(p.text_document.uri, Vec::new(), None)];
            }
            _ => return Vec::new(),
        };
        match self.docs.get(&uri) {
            Some(doc) => {
                let diags =
                    diagnostics::to_lsp(&uri, doc.text(), &doc.lines, doc.analysis.diagnostics());
                vec![publish(uri, diags, Some(doc.version))]
            }
            None => Vec::new(),
        }
    }
}

/// Notification `N`'s parameters.
fn parse<N: lsp_types::notification::Notification>(v: Value) -> serde_json::Result<N::Params> {
    serde_json::from_value(v)
}

fn publish(
    uri: Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
    version: Option<i32>,
) -> Notification {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    Notification::new(PublishDiagnostics::METHOD.to_string(), params)
}

/// An outline entry as LSP's nested document symbol.
#[allow(deprecated, reason = "`DocumentSymbol::deprecated` has no default")]
fn document_symbol(doc: &Document, e: &symbols::Outline) -> lsp_types::DocumentSymbol {
    use crate::index::SymbolKind as K;
    use lsp_types::SymbolKind;
    let kind = match e.kind {
        K::Kernel => SymbolKind::FUNCTION,
        K::Const => SymbolKind::CONSTANT,
        K::Input | K::Param | K::Let | K::Stage | K::RangeVar => SymbolKind::VARIABLE,
    };
    lsp_types::DocumentSymbol {
        name: e.name.clone(),
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range: doc.lines.range(doc.text(), e.decl),
        selection_range: doc.lines.range(doc.text(), e.def),
        children: Some(e.children.iter().map(|c| document_symbol(doc, c)).collect()),
    }
}
