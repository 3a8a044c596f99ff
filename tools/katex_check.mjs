#!/usr/bin/env node
// Render every math block of the given Markdown files with KaTeX, as a reader's viewer would,
// and report each one that fails as `file:line: message`.
//
// Usage: node tools/katex_check.mjs FILE.md...   (exit 0 all rendered, 1 some failed, 2 usage/setup)
//
// What counts as math (the rules GitHub, Jupyter and pandoc share):
//   - display: a line that is just `$$` opens a block, the next such line closes it; `$$ x $$` on one
//     line, or inside a paragraph, is display math too.
//   - inline: `$x$` where the opening `$` is followed by a non-space and the closing `$` follows a
//     non-space and is not followed by a digit (so "costs $5" is not math).
//   - never math: `\$`, fenced code blocks (``` or ~~~), inline code spans (`...`).
// A `$` that opens no formula under these rules is reported too: in a generated document it is
// almost always a bug, and a literal dollar should be written `\$`.
//
// strict: "error". KaTeX then also rejects input that real LaTeX would reject (an accented letter
// in math mode outside \text, a trailing % comment that would swallow the closing `$`), which the
// .tex twin of each document would trip over anyway. It does not reject \text{für}, Greek letters
// like σ, or \\ in aligned environments, so nothing valid that our documents use is lost.

import { readFileSync } from "node:fs";

let katex;
try {
  katex = (await import("katex")).default;
} catch {
  console.error("katex_check: katex is not installed; run `npm ci --prefix tools`");
  process.exit(2);
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Yield {tex, display, line, col} for every formula in a Markdown text, or {error, line} for a stray `$`. */
function* extractMath(text) {
  const lines = text.split(/\r?\n/);
  let fence = null; // the opening fence string while inside a fenced code block
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fenceMatch = line.match(FENCE);
    if (fence) {
      // A fence closes on the same character, at least as long, with nothing after it.
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length
          && line.trim() === fenceMatch[1]) fence = null;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    if (line.trim() === "$$") {
      // Multi-line display block: collect up to the closing `$$` line.
      const start = i;
      const body = [];
      for (i++; i < lines.length && lines[i].trim() !== "$$"; i++) body.push(lines[i]);
      if (i === lines.length) {
        yield { error: "unclosed $$ display block", line: start + 1 };
        return;
      }
      yield { tex: body.join("\n"), display: true, line: start + 2 };
      continue;
    }
    yield* inlineMath(line, i + 1);
  }
}

/** Scan one line left to right for code spans, `$$..$$` and `$..$`. */
function* inlineMath(line, lineNo) {
  let k = 0;
  while (k < line.length) {
    const ch = line[k];
    if (ch === "\\") {
      k += 2; // an escaped character, `\$` included, is never a delimiter
    } else if (ch === "`") {
      // A code span closes on the next backtick run of the same length; unmatched, the run is literal.
      const run = line.slice(k).match(/^`+/)[0];
      const close = findRun(line, run, k + run.length);
      k = close < 0 ? k + run.length : close + run.length;
    } else if (ch === "$" && line[k + 1] === "$") {
      const close = line.indexOf("$$", k + 2);
      if (close < 0) {
        yield { error: "unclosed $$", line: lineNo };
        return;
      }
      yield { tex: line.slice(k + 2, close), display: true, line: lineNo, col: k + 2 };
      k = close + 2;
    } else if (ch === "$") {
      const close = /\s/.test(line[k + 1] ?? " ") ? -1 : closingDollar(line, k + 1);
      if (close < 0) {
        yield { error: "stray $ opens no formula (write \\$ for a literal dollar)", line: lineNo };
        k += 1;
      } else {
        yield { tex: line.slice(k + 1, close), display: false, line: lineNo, col: k + 1 };
        k = close + 1;
      }
    } else {
      k += 1;
    }
  }
}

/** Index of the next backtick run exactly equal to `run` at or after `from`, or -1. */
function findRun(line, run, from) {
  const re = /`+/g;
  re.lastIndex = from;
  for (let m; (m = re.exec(line)); ) if (m[0] === run) return m.index;
  return -1;
}

/** Index of the `$` that closes inline math opened just before `from`, or -1. */
function closingDollar(line, from) {
  for (let k = from; k < line.length; k++) {
    if (line[k] === "\\") k++;
    else if (line[k] === "$" && !/\s/.test(line[k - 1]) && !/[0-9]/.test(line[k + 1] ?? "")) return k;
  }
  return -1;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/katex_check.mjs FILE.md...");
  process.exit(2);
}

let formulas = 0;
let failed = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    console.error(`katex_check: cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  for (const m of extractMath(text)) {
    if (m.error) {
      failed++;
      console.log(`${file}:${m.line}: ${m.error}`);
      continue;
    }
    formulas++;
    try {
      katex.renderToString(m.tex, { throwOnError: true, displayMode: m.display, strict: "error" });
    } catch (e) {
      failed++;
      // Point at the line inside a multi-line block where KaTeX stopped, when it says where.
      const before = typeof e.position === "number" ? m.tex.slice(0, e.position) : "";
      const line = m.line + (before.match(/\n/g) ?? []).length;
      console.log(`${file}:${line}: ${e.message.split("\n")[0]}`);
    }
  }
}
console.log(`katex: ${formulas} formulas in ${files.length} files, ${failed} failed`);
process.exit(failed ? 1 : 0);
