// Checks Mermaid diagrams with Mermaid's own parser (used by tests/memo.rs).
// stdin: diagrams separated by a line "%% next diagram"; stdout: one line per diagram,
// "ok" or "error: <message>"; exit 1 if any diagram is rejected.
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
const { default: mermaid } = await import('mermaid');
let text = '';
for await (const chunk of process.stdin) text += chunk;
let failed = false;
for (const diagram of text.split(/^%% next diagram$/m)) {
  if (!diagram.trim()) continue;
  try {
    await mermaid.parse(diagram);
    console.log('ok');
  } catch (e) {
    failed = true;
    console.log('error: ' + String(e.message ?? e).replace(/\n/g, ' '));
  }
}
process.exit(failed ? 1 : 0);
