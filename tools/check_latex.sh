#!/usr/bin/env bash
# Compile each given .tex file (default: every output/**/*.tex) with pdflatex and report the ones
# that fail as `file: error lines` from the log.
# Usage: bash tools/check_latex.sh [FILE.tex...]   (exit 0 all compiled, 1 some failed, 2 setup)
#
# One pass is enough: we only ask "does it compile", and cross-references settle on a second pass
# without ever turning an error into a success. Build files go to a temp dir so the repo stays clean.
set -euo pipefail

if ! command -v pdflatex >/dev/null; then
    # Passing silently here would hide a missing install step in CI.
    echo "check_latex: pdflatex not found (apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures)" >&2
    exit 2
fi

if [ "$#" -eq 0 ]; then
    shopt -s globstar nullglob
    set -- output/**/*.tex
    if [ "$#" -eq 0 ]; then
        echo "check_latex: no .tex files under output/" >&2
        exit 2
    fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

failed=0
n=0
for tex in "$@"; do
    n=$((n + 1))
    if [ ! -f "$tex" ]; then
        failed=$((failed + 1))
        echo "$tex: no such file"
        continue
    fi
    out="$tmp/$n"  # one folder per file: two files may share a basename
    mkdir -p "$out"
    # Compile from the file's own folder so \input and \includegraphics resolve as the author meant.
    if ! (cd "$(dirname "$tex")" && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape \
            -output-directory "$out" "$(basename "$tex")" </dev/null >/dev/null 2>&1); then
        failed=$((failed + 1))
        log="$out/$(basename "$tex" .tex).log"
        # TeX starts an error with "!" and says where with "l.<line> <text>"; -halt-on-error's own
        # "Fatal error occurred" line says nothing more.
        errors="$(grep -E '^!|^l\.[0-9]+' "$log" 2>/dev/null | grep -v '^!  ==> Fatal' | head -n 4 | paste -sd' ' || true)"
        echo "$tex: ${errors:-pdflatex failed and wrote no log}"
    fi
done

echo "latex: $# files, $failed failed"
[ "$failed" -eq 0 ]
