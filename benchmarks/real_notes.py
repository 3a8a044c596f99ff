"""derive lint on real notes (tests/real_notes) against the truth decided without derive (truth.py).

Two ways a user would run it on notes that carry no derive: directive:

- default: ``lint(path)`` with the default options;
- manifest: ``lint(path, convention=..., loss=..., output=..., hidden=...)`` with the problem the manifest gives
  each claim (its `lint` setting: the claim's convention, or the nearest preset when it is 'other', and its
  loss and activations, derive's mse for sse and mse_per_output). A file whose claims need several problems is
  linted once per problem, and each claim takes the findings of its own.

Findings are matched to the manifest's claims by file and line (by the formula text when a line holds several
claims; a chain that lint splits into pieces gets all of them: it fails if one fails, holds if all hold, and is
skipped otherwise). Then, overall and per file: claims (holds or fails in truth), judged (derive said holds or
fails), judged share, verdicts right, accuracy (right / judged), false holds (derive holds, truth fails), false
fails (derive fails, truth holds), skipped (not judged: skipped, or not found by lint's scanner).

    python benchmarks/real_notes.py            # both modes: tables, false holds and fails, what was skipped
    python benchmarks/real_notes.py --mode manifest --claims   # one mode, with every claim's outcome

This measures derive as it is; nothing here changes it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "tests" / "real_notes"
PRESETS = {"nielsen", "wikipedia", "ng", "goodfellow", "bishop", "cs231n", "dls"}


def load_truth():
    """tests/real_notes/truth.py as a module (it is a script beside the notes, not a package)."""
    spec = importlib.util.spec_from_file_location("real_notes_truth", NOTES / "truth.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _norm(a), _norm(b)).ratio()


def match(claims: list[dict], findings: list) -> dict:
    """claim id -> the findings that belong to it (by line; by text among the claims of one line)."""
    by_line = defaultdict(list)
    for c in claims:
        by_line[c["line"]].append(c)
    out = {c["id"]: [] for c in claims}
    for f in findings:
        here = by_line.get(f.line)
        if not here:
            continue
        best = here[0] if len(here) == 1 else max(here, key=lambda c: _similarity(c["text"], f.formula))
        out[best["id"]].append(f)
    return out


def combine(findings: list) -> tuple[str, str]:
    """(verdict, reason) of a claim from its findings: fails if one fails, holds if all hold, else skipped."""
    if not findings:
        return "skipped", "not found by lint's scanner"
    verdicts = [f.verdict for f in findings]
    if "fails" in verdicts:
        f = next(f for f in findings if f.verdict == "fails")
        return "fails", f.reason
    if all(v == "holds" for v in verdicts):
        return "holds", findings[0].reason
    skipped = next(f for f in findings if f.verdict == "skipped")
    if "holds" in verdicts:
        return "skipped", f"partly judged ({verdicts.count('holds')} of {len(verdicts)} pieces hold); {skipped.reason}"
    return "skipped", skipped.reason


def _lint(path: Path, **problem) -> tuple[list, str | None]:
    from derive.lint import LintError, lint
    try:
        return lint(str(path), **problem), None
    except LintError as exc:  # the whole file refused: every claim in it is skipped with this reason
        return [], f"lint refused the file: {exc}"


USED: dict = {}   # mode -> file -> Counter of the conventions derive's findings name


def run_mode(manifest: dict, mode: str) -> dict:
    """claim id -> (derive verdict, derive reason) for every claim of the manifest (not-a-claims included)."""
    claims_by_file = defaultdict(list)
    for c in manifest["claim"]:
        claims_by_file[c["file"]].append(c)
    out = {}
    for name, claims in claims_by_file.items():
        if mode == "default":
            groups = {None: claims}
        else:
            groups = defaultdict(list)
            for c in claims:
                s = c["lint"]
                groups[(s["convention"], s["loss"], s["output"], s["hidden"], s.get("weights"))].append(c)
        for key, group in groups.items():
            problem = {} if key is None else dict(zip(("convention", "loss", "output", "hidden", "weights"), key))
            findings, refused = _lint(NOTES / name, **problem)
            USED.setdefault(mode, {}).setdefault(name, Counter()).update(f.convention for f in findings)
            # match against all of the file's claims, so that a finding goes to the claim it is about
            matched = match(claims, findings)
            for c in group:
                out[c["id"]] = ("skipped", refused) if refused else combine(matched[c["id"]])
    return out


def score(manifest: dict, derived: dict, subset=None) -> dict:
    """The table's figures for the claims (holds/fails in truth) of `subset` (ids) or all."""
    rows = [c for c in manifest["claim"] if c["verdict"] != "not-a-claim" and (subset is None or c["id"] in subset)]
    s = Counter()
    for c in rows:
        got = derived[c["id"]][0]
        s["claims"] += 1
        if got in ("holds", "fails"):
            s["judged"] += 1
            s["right"] += got == c["verdict"]
            s["false holds"] += got == "holds" and c["verdict"] == "fails"
            s["false fails"] += got == "fails" and c["verdict"] == "holds"
        else:
            s["skipped"] += 1
    return s


def _pct(a, b) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def table(manifest: dict, derived: dict) -> str:
    files = [f["name"] for f in manifest["file"]]
    head = f"| {'file':<36} | claims | judged | judged share | right | accuracy | false holds | false fails | skipped |"
    lines = [head, "|" + "|".join("---" for _ in range(9)) + "|"]
    for name in files + ["all"]:
        ids = None if name == "all" else {c["id"] for c in manifest["claim"] if c["file"] == name}
        s = score(manifest, derived, ids)
        label = "**all**" if name == "all" else name
        lines.append(f"| {label:<36} | {s['claims']} | {s['judged']} | {_pct(s['judged'], s['claims'])} | "
                     f"{s['right']} | {_pct(s['right'], s['judged'])} | {s['false holds']} | {s['false fails']} | "
                     f"{s['skipped']} |")
    return "\n".join(lines)


def wrong_verdicts(manifest: dict, derived: dict, robust: set) -> str:
    out = []
    for kind, truth, got in (("false holds (derive: holds, truth: fails)", "fails", "holds"),
                             ("false fails (derive: fails, truth: holds)", "holds", "fails")):
        hits = [c for c in manifest["claim"] if c["verdict"] == truth and derived[c["id"]][0] == got]
        out.append(f"{kind}: {len(hits)}")
        for c in hits:
            where = f"{c['file']}:{c['line']}"
            tag = "" if c["id"] in robust else "  [setting not exactly derive's: " + _why_not_robust(c) + "]"
            first = c["text"].split("\n")[0][:150] + (" ..." if "\n" in c["text"] else "")
            out.append(f"  {c['id']} {where}{tag}\n    {first}\n    truth: {c.get('reason') or truth}"
                       f"\n    derive: {derived[c['id']][1][:220]}")
    return "\n".join(out)


def _why_not_robust(c: dict) -> str:
    if c["convention"] not in PRESETS:
        return c["convention"][:90]
    return f"loss {c['loss']} given to derive as {c['lint']['loss']}"


# what derive skipped, grouped by the first words of its reason (numbers and quoted fragments elided)
def _pattern(reason: str) -> str:
    reason = re.sub(r"(?<=[\s(])'[^'\s]{5,}'|`[^`]*`", "'…'", reason)   # long quoted fragments, not tokens
    reason = re.sub(r"\d+", "N", reason)
    return reason[:120]


def skipped_patterns(manifest: dict, derived: dict) -> str:
    counts = Counter()
    examples = {}
    for c in manifest["claim"]:
        if c["verdict"] == "not-a-claim":
            continue
        verdict, reason = derived[c["id"]]
        if verdict == "skipped":
            p = _pattern(reason or "")
            counts[p] += 1
            examples.setdefault(p, c["id"])
    return "\n".join(f"  {n:3d}  {p}   (e.g. {examples[p]})" for p, n in counts.most_common())


def not_a_claims(manifest: dict, derived: dict) -> str:
    nac = [c for c in manifest["claim"] if c["verdict"] == "not-a-claim"]
    got = Counter(derived[c["id"]][0] for c in nac)
    return (f"not-a-claims: {len(nac)}; derive reported {got['holds']} as holding, {got['fails']} as failing, "
            f"{got['skipped']} skipped or not found")


def exact_ids(manifest: dict) -> set:
    """The claims whose convention is a preset and whose truth is the same under the problem derive is given in
    the manifest mode (the manifest's `exact`, checked by tests/test_real_notes.py): derive's verdict on them can
    be held against the truth without excuse."""
    return {c["id"] for c in manifest["claim"] if c.get("exact")}


def heldout_ids(manifest: dict) -> set:
    """The claims of the files the manifest marks `heldout`: added after derive's readings, to measure them on
    notes they were not written for."""
    held = {f["name"] for f in manifest["file"] if f.get("heldout")}
    return {c["id"] for c in manifest["claim"] if c["file"] in held}


def conventions_used(manifest: dict, findings_conventions: dict) -> str:
    lines = []
    for f in manifest["file"]:
        used = findings_conventions.get(f["name"]) or Counter()
        lines.append(f"  {f['name']:<36} " + (", ".join(f"{k} x{v}" for k, v in used.most_common()) or "-"))
    return "\n".join(lines)


def report(mode: str, manifest: dict, derived: dict, robust: set, list_claims: bool) -> str:
    parts = [f"## mode: {mode}", "", table(manifest, derived), ""]
    s = score(manifest, derived, robust)
    parts.append(f"claims whose setting derive can be given exactly (preset convention, same truth under derive's "
                 f"problem): {s['claims']}; judged {s['judged']}, right {s['right']}, false holds "
                 f"{s['false holds']}, false fails {s['false fails']}")
    held = heldout_ids(manifest)
    if held:
        h = score(manifest, derived, held)
        parts.append(f"claims in files held out from development (no reading was written for them): {h['claims']}; "
                     f"judged {h['judged']}, right {h['right']}, false holds {h['false holds']}, false fails "
                     f"{h['false fails']}")
    parts += ["", "conventions derive's findings name, per file:", conventions_used(manifest, USED.get(mode, {}))]
    parts += ["", wrong_verdicts(manifest, derived, robust), "", "skipped, by derive's reason:",
              skipped_patterns(manifest, derived), "", not_a_claims(manifest, derived)]
    if list_claims:
        parts += ["", "every claim:"]
        for c in manifest["claim"]:
            v, r = derived[c["id"]]
            parts.append(f"  {c['id']:7} {c['verdict']:<11} derive {v:<7} {c['file']}:{c['line']}  {r[:120]}")
    return "\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["default", "manifest", "both"], default="both")
    parser.add_argument("--claims", action="store_true", help="list every claim's outcome")
    args = parser.parse_args(argv)
    truth = load_truth()
    manifest = truth.load_manifest()
    t0 = time.perf_counter()
    robust = exact_ids(manifest)
    modes = ["default", "manifest"] if args.mode == "both" else [args.mode]
    for mode in modes:
        derived = run_mode(manifest, mode)
        print(report(mode, manifest, derived, robust, args.claims))
        print()
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
