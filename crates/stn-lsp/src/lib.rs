//! `stn lsp`: a language server for `.stn` files, over stdio.
//!
//! Each open document is run through the front end
//! (`check::front::analyze`) on every change, and every answer is computed
//! from that one result, in byte offsets:
//!
//! - `analysis`: a document's text, its diagnostics (the front end's and
//!   the dtype errors of every kernel no error touches), its names as the
//!   checker resolves them, and its kernels typed one by one (definition,
//!   references);
//! - `index`: the checker's resolved names (`check::resolve`) and what a
//!   bare word is;
//! - `hover`, `completion`, `tokens` (semantic tokens), `format`,
//!   `diagnostics`, `symbols` (outline, highlights, rename, folding),
//!   `signature` (signature help): one answer each;
//! - `position`: byte offsets and LSP positions (UTF-8 when the client
//!   offers it, else UTF-16);
//! - `documents`: the open documents; `server`: dispatch of one message.
//!
//! Nothing here panics on any text or position; the server also catches a
//! panic per request, as a last guard, so a bug answers one request with
//! an error instead of ending the session.

pub mod analysis;
pub mod completion;
pub mod diagnostics;
pub mod documents;
pub mod format;
pub mod hover;
pub mod index;
pub mod position;
pub mod server;
pub mod signature;
pub mod symbols;
pub mod tokens;
pub mod words;

use lsp_server::{Connection, Message};
use lsp_types::InitializeParams;

use server::Server;
use stn::internals::error::{Error, Result};

/// Serves the client on stdin and stdout until it says `exit` or closes
/// the stream. Needs a deep stack like the rest of the front end (the
/// runner's worker thread has one).
pub fn serve() -> Result<()> {
    let client = |e: lsp_server::ProtocolError| Error::usage(format!("language client: {e}"));
    let (connection, io_threads) = Connection::stdio();
    let (id, params) = connection.initialize_start().map_err(client)?;
    let init: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let mut server = Server::new(&init);
    let answer = serde_json::json!({
        "capabilities": server.capabilities(),
        "serverInfo": { "name": "stn", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, answer).map_err(client)?;
    for msg in &connection.receiver {
        match &msg {
            Message::Request(req) if connection.handle_shutdown(req).map_err(client)? => break,
            Message::Notification(n) if n.method == "exit" => break,
            _ => {}
        }
        for out in server.handle(msg) {
            if connection.sender.send(out).is_err() {
                break;
            }
        }
    }
    drop(connection);
    io_threads
        .join()
        .map_err(|e| Error::io("cannot talk to the language client", e))
}
