// Parses and renders every Mermaid diagram in docs/diagrams/*.mmd with the `mermaid` package
// running inside a headless Chromium (driven by playwright-core), and checks or writes the
// committed SVG next to each source.
//
//   node docs/diagrams/render.mjs           check: every diagram parses and renders, every
//                                           committed SVG was rendered from the current source,
//                                           and docs/architecture.md embeds each source verbatim
//   node docs/diagrams/render.mjs --write   re-render the SVGs of changed sources and rewrite the
//                                           embedded copies (--force: re-render every SVG)
//
// Chromium: $CONDUIT_CHROMIUM, else the first of chromium, chromium-browser, google-chrome,
// google-chrome-stable on PATH. Nothing is downloaded; the page has no network access.
//
// An SVG is "current" when its first line records the SHA-256 of the source it was rendered
// from; the rendering itself depends on the fonts of the machine, so the check compares
// the recorded hash, not the bytes of a fresh rendering (which it still performs, so a
// source that no longer parses fails here).

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync, accessSync, constants } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const write = process.argv.includes("--write");
// --dir=DIR --doc=FILE: check other sources (the suite uses this for its negative control).
const extraDirs = process.argv.filter((a) => a.startsWith("--dir=")).map((a) => a.slice(6));
const diagramDir = extraDirs[0] ? resolve(extraDirs[0]) : here;
const architecture = process.argv.find((a) => a.startsWith("--doc="))?.slice(6) ?? join(root, "docs", "architecture.md");

const HASH_PREFIX = "<!-- mermaid-source-sha256: ";

function findChromium() {
  const fromEnv = process.env.CONDUIT_CHROMIUM;
  if (fromEnv) return fromEnv;
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

// The mermaid block that follows `<!-- diagram: NAME -->` in the architecture document.
function embeddedBlocks(markdown) {
  const blocks = new Map();
  const re = /<!-- diagram: ([a-z0-9-]+) -->\n```mermaid\n([\s\S]*?)```\n/g;
  for (const m of markdown.matchAll(re)) blocks.set(m[1], m[2]);
  return blocks;
}

const sources = readdirSync(diagramDir)
  .filter((f) => f.endsWith(".mmd"))
  .sort()
  .map((f) => ({ name: f.slice(0, -4), file: join(diagramDir, f), text: readFileSync(join(diagramDir, f), "utf8") }));
if (sources.length === 0) {
  console.error(`no .mmd sources in ${diagramDir}`);
  process.exit(1);
}

const problems = [];

// Every other ```mermaid block in README.md and docs/ (not one of the marked copies above) is
// parsed too, so a diagram added anywhere else cannot be broken on GitHub unnoticed (not with
// --dir, which checks only the given directory).
function markdownFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) markdownFiles(path, out);
    else if (entry.name.endsWith(".md")) out.push(path);
  }
  return out;
}
const looseBlocks = [];
if (extraDirs.length === 0) {
  for (const file of [join(root, "README.md"), ...markdownFiles(join(root, "docs"))]) {
    const text = readFileSync(file, "utf8");
    const re = /(<!-- diagram: [a-z0-9-]+ -->\n)?```mermaid\n([\s\S]*?)```/g;
    for (const m of text.matchAll(re)) {
      if (m[1] && file === architecture) continue;
      const line = text.slice(0, m.index).split("\n").length + (m[1] ? 1 : 0);
      looseBlocks.push({ where: `${file.slice(root.length + 1)}:${line}`, text: m[2] });
    }
  }
}

// 1. The architecture document embeds each source verbatim (GitHub renders those blocks).
let markdown = readFileSync(architecture, "utf8");
const embedded = embeddedBlocks(markdown);
for (const s of sources) {
  if (!embedded.has(s.name)) {
    problems.push(`${architecture}: no \`<!-- diagram: ${s.name} -->\` followed by a mermaid block`);
  } else if (embedded.get(s.name) !== s.text) {
    if (write) {
      markdown = markdown.replace(
        `<!-- diagram: ${s.name} -->\n\`\`\`mermaid\n${embedded.get(s.name)}\`\`\`\n`,
        `<!-- diagram: ${s.name} -->\n\`\`\`mermaid\n${s.text}\`\`\`\n`,
      );
      console.log(`rewrote the embedded copy of ${s.name} in ${architecture}`);
    } else {
      problems.push(`${architecture}: the embedded ${s.name} diagram differs from ${s.file} (run with --write)`);
    }
  }
}
for (const name of embedded.keys()) {
  if (!sources.some((s) => s.name === name)) problems.push(`${architecture}: diagram ${name} has no ${name}.mmd source`);
}
if (write) writeFileSync(architecture, markdown);

// 2. Every source parses and renders in a real browser.
const chromium = findChromium();
if (!chromium) {
  console.error("no Chromium found: install Debian's `chromium` or set CONDUIT_CHROMIUM");
  process.exit(1);
}
const { chromium: pwChromium } = require("playwright-core");
const mermaidJs = require.resolve("mermaid/dist/mermaid.min.js");
const mermaidVersion = JSON.parse(readFileSync(join(dirname(mermaidJs), "..", "package.json"), "utf8")).version;

const browser = await pwChromium.launch({
  executablePath: chromium,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const context = await browser.newContext({ offline: true, javaScriptEnabled: true });
  const page = await context.newPage();
  await page.setContent("<!doctype html><html><head><meta charset=utf-8></head><body></body></html>");
  await page.addScriptTag({ path: mermaidJs });
  await page.evaluate(() => {
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      deterministicIds: true,
      deterministicIDSeed: "conduit",
      theme: "default",
      // Plain SVG text, no <foreignObject>: the files display the same as <img> on GitHub.
      htmlLabels: false,
      flowchart: { htmlLabels: false, wrappingWidth: 400 },
      sequence: { mirrorActors: false },
    });
  });
  for (const s of sources) {
    const result = await page.evaluate(async ({ name, text }) => {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render(`diagram-${name}`, text);
        return { svg };
      } catch (e) {
        return { error: String(e && e.message ? e.message : e) };
      }
    }, { name: s.name, text: s.text });
    if (result.error) {
      problems.push(`${s.file}: does not parse/render: ${result.error}`);
      continue;
    }
    if (!result.svg.startsWith("<svg") || !result.svg.includes("</svg>") || result.svg.length < 1000) {
      problems.push(`${s.file}: mermaid returned no usable SVG`);
      continue;
    }
    const svgFile = join(diagramDir, `${s.name}.svg`);
    const header = `${HASH_PREFIX}${sha256(s.text)} (mermaid ${mermaidVersion}) -->`;
    const current = existsSync(svgFile) && readFileSync(svgFile, "utf8").split("\n", 1)[0] === header;
    if (write && current && !process.argv.includes("--force")) {
      console.log(`ok ${s.name}: unchanged source, SVG kept (--force re-renders it)`);
    } else if (write) {
      writeFileSync(svgFile, `${header}\n${result.svg}\n`);
      console.log(`rendered ${s.name}.mmd -> ${s.name}.svg (${result.svg.length} bytes)`);
    } else if (!existsSync(svgFile)) {
      problems.push(`${svgFile}: missing (run with --write)`);
    } else {
      const firstLine = readFileSync(svgFile, "utf8").split("\n", 1)[0];
      if (!firstLine.startsWith(`${HASH_PREFIX}${sha256(s.text)} `)) {
        problems.push(`${svgFile}: stale, rendered from another version of ${s.name}.mmd (run with --write)`);
      } else {
        console.log(`ok ${s.name}: parses, renders (${result.svg.length} bytes), committed SVG is current`);
      }
    }
  }
  for (const b of looseBlocks) {
    const error = await page.evaluate(async (text) => {
      try {
        await window.mermaid.parse(text);
        return null;
      } catch (e) {
        return String(e && e.message ? e.message : e);
      }
    }, b.text);
    if (error) problems.push(`${b.where}: mermaid block does not parse: ${error}`);
    else console.log(`ok ${b.where}: mermaid block parses`);
  }
} finally {
  await browser.close();
}

if (problems.length > 0) {
  for (const p of problems) console.error(`FAIL ${p}`);
  process.exit(1);
}
