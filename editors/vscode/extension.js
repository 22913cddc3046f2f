// VS Code extension for stn: the language (highlighting comes from
// syntaxes/stn.tmLanguage.json) and a client for the language server,
// `stn lsp`, spoken to over stdio. Plain JavaScript: no build step.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration('stn');
  const command = config.get('server.path', 'stn') || 'stn';
  const args = ['lsp', ...config.get('server.extraArgs', [])];
  const run = { command, args, transport: TransportKind.stdio };
  return { run, debug: run };
}

async function start(context) {
  client = new LanguageClient(
    'stn',
    'stn language server',
    serverOptions(),
    {
      documentSelector: [
        { scheme: 'file', language: 'stn' },
        { scheme: 'untitled', language: 'stn' },
      ],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/*.stn'),
      },
    },
  );
  try {
    await client.start();
  } catch (err) {
    const command = serverOptions().run.command;
    vscode.window.showErrorMessage(
      `stn: could not start the language server \`${command} lsp\` (${err.message || err}). ` +
        'Install stn or set `stn.server.path`.',
    );
  }
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

async function stop() {
  if (client) {
    const c = client;
    client = undefined;
    if (c.isRunning()) {
      await c.stop();
    }
  }
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('stn.restartServer', async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('stn.server')) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
