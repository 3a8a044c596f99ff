"""Which convention, loss and activations a notes file is written in, read from its notation and its words.

The evidence is data: ``CLUES`` holds one record per clue (the setting it points to, what to print, the
pattern, its weight). A clue may point to several conventions ("nielsen|wikipedia": both write delta^l); it
then tells those apart from the others but not from each other. A file is cut into sections (a Markdown
heading, a LaTeX \\part, \\chapter or \\section); the clues are counted in each section's math (words and
code: in its text, comments left out), each at most COUNT_CAP times.

A value wins where it scores MIN_SCORE at least and MARGIN times its rivals together (a rival counted by the
clues that tell it from the winner). The file's evidence decides, but for a section whose own evidence
(LOCAL times a file's) names another winner, or (the convention) no winner at all: a section that mixes
notations is ambiguous itself and says nothing about the file. Where nothing decides, the convention is
*ambiguous* (lint skips those claims, saying what to write) and the loss and activations are *assumed* (the
defaults, said so). Nothing here evaluates the notes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal

from .formula.relations import written_as

FIELDS = ("convention", "loss", "output", "hidden")
ASSUMED = {"convention": "nielsen", "loss": "mse", "output": "sigmoid", "hidden": "sigmoid",
           "weights": "the convention's"}
FLAGS = {"convention": "--convention", "loss": "--loss", "output": "--activation", "hidden": "--hidden",
         "weights": "--weights"}
# the output activation a loss is usually paired with, when the notes name the loss but not the output
USUAL_OUTPUT = {"bce": "sigmoid", "cce": "softmax"}
MATH, TEXT = "math", "text"   # a clue is looked for in the math only, or in the text (math and prose, no comments)
COUNT_CAP = 5                 # a clue adds its weight once per occurrence, at most this many times per section
MIN_SCORE = {"convention": 3, "loss": 2, "output": 3, "hidden": 3}  # weaker evidence decides nothing
MARGIN = 2.0                  # the winner must score at least this many times its rivals together
LOCAL = 2                     # a section overrules its file with LOCAL times the evidence a file needs

# ---------------------------------------------------------------- pieces of patterns
# A clue's pattern may name these pieces as <NAME>; ``_expand`` puts them in. Groups: <UP> captures the layer
# (1: the letter, 2: "+1" if written), and <SAME>, <BELOW>, <ABOVE> match that layer, the one below, above.
_L = r"(?:[lLk]|\\ell)"                        # a layer letter
PIECES = {
    "L": _L,
    "PLAIN": rf"\^\s*(?:{_L}(?![A-Za-z])|\{{\s*{_L}\s*(?:[-+]\s*1\s*)?\}})",         # ^l, ^L, ^{l+1}
    "PAREN": rf"\^\s*\{{\s*\(\s*(?:{_L}|\d)\s*(?:[-+]\s*1\s*)?\)\s*\}}",             # ^{(l)}, ^{(l-1)}, ^{(3)}
    "BRACKET": rf"\^\s*\{{\s*\[\s*(?:{_L}|\d)",                                   # ^{[l]}, ^{[2]}
    # (no two \s* meet across an optional token: that would make a long run of spaces cost its square)
    "OPEN": r"\s*(?:\{\s*)?(?:\(\s*)?",                                            # after ^: { and ( optional
    "CLOSE": r"(?:\s*\))?(?:\s*\})?",
    "UP": rf"\^\s*(?:\{{\s*)?(?:\(\s*)?({_L})(\s*\+\s*1)?(?:\s*\))?(?:\s*\}})?",
    "SAME": r"\^<OPEN>\1(?(2)\s*\+\s*1|(?!\s*[-+]))<CLOSE>",
    "BELOW": r"\^<OPEN>(?(2)\1(?!\s*[-+])|\1\s*-\s*1)<CLOSE>",
    "ABOVE": r"\^<OPEN>(?(2)(?!)|\1\s*\+\s*1)<CLOSE>",
    "SUB": r"_(?:\{\s*[a-z]\s*\}|[a-z](?![A-Za-z]))",                           # one index: _j, _{j}
    "I": r"(?:\s*_(?:\{[^{}]*\}|\w))?",                                          # an optional subscript
    "SOLO": r"(?<![A-Za-z\\])",                                                 # not inside a longer name
    "W": r"(?<![A-Za-z\\])(?:\\Wmatr|(?:\\(?:mathbf|boldsymbol|bm|vec|matr)\s*(?:\{\s*)?)?[wW]\}?)",
    "WU": r"(?<![A-Za-z\\])(?:\\Wmatr|(?:\\(?:mathbf|boldsymbol|bm|vec|matr)\s*(?:\{\s*)?)?W\}?)",  # capital only
    "WL": r"(?<![A-Za-z\\])(?:\\(?:mathbf|boldsymbol|bm|vec)\s*(?:\{\s*)?)?w\}?",  # lower case only (Nielsen's)
    "DELTA": r"(?:\\(?:mathbf|boldsymbol|bm|vec)\s*(?:\{\s*)?)?\\delta\}?",
    "A": r"(?<![A-Za-z\\])(?:\\(?:mathbf|boldsymbol|bm|vec)\s*(?:\{\s*)?)?a\}?",
    "T": r"(?:\s*\^\s*(?:\{\s*)?(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\}|\\mathrm\s*\{\s*T\s*\})(?:\s*\})?|\s*')",
    "GAP": r"(?:\s|\\[,;:!]|\\cdot|\\[bB]ig{1,2}|\\left|[(*])*",                    # between two factors
    "PARENS": r"\((?:[^()]|\([^()]*\))*\)",                                       # (...), one level nested
    "TARGET": r"(?<![A-Za-z\\])(?:\\hat\{\s*)?[ytY](?![A-Za-z])",
}
# a squared difference with the target in it: (a - y)^2, ( a^{(L)}-y)^2, (y_i - a^L_i)^2; a squared norm of one
_SQUARED = (r"\((?=(?:[^()]|\([^()]*\))*?<TARGET>)(?=(?:[^()]|\([^()]*\))*?[-−])(?:[^()]|\([^()]*\))*\)"
            r"\s*\^\s*(?:\{\s*)?2(?!\d)")
_NORM = (r"(?:\\left\s*)?(?:\\\||\|\||\\lVert)[^|\-−]*[-−][^|]*?(?:\\right\s*)?(?:\\\||\|\||\\rVert)"
         r"\s*\^\s*(?:\{\s*)?2(?!\d)")


_HALF = r"(?:\\[dt]?frac\s*(?:\{\s*1\s*\}\s*\{\s*2(?:[^{}]|\{[^{}]*\})*\}|12)|(?<![\d.])1\s*/\s*\(?\s*2)"  # 1/2, 1/2n
# the mean over the outputs: 1/n_L (the output layer's width, n_L, s_L or d_L) with a 1/2 beside it, or 1/(2 n_L)
_OUT = r"[nsd]\s*_\s*(?:\{\s*L\s*\}|L(?![A-Za-z]))"
_OVER = r"(?:\\[dt]?frac\s*\{\s*1\s*\}\s*\{\s*" + _OUT + r"\s*\}|(?<![\d.])1\s*/\s*" + _OUT + ")"
_HALF_ONLY = r"(?:\\[dt]?frac\s*(?:\{\s*1\s*\}\s*\{\s*2\s*\}|12)|(?<![\d.])1\s*/\s*2(?![\d.]))"
_UNDER = r"(?:\\sum\s*(?:\\limits\s*)?(?:_\s*(?:\{[^{}]*\}|\w))?\s*(?:\^\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\w))?\s*)?"
_MEAN = (r"(?:\\[dt]?frac\s*\{\s*1\s*\}\s*\{\s*2\s*" + _OUT + r"\s*\}|(?<![\d.])1\s*/\s*\(\s*2\s*" + _OUT
         + r"\s*\)|" + _OVER + r"\s*" + _UNDER + _HALF_ONLY + "|" + _HALF_ONLY + r"\s*" + _OVER + ")")
# right after '=' (or at the start), maybe under a sum, with nothing (such as a 1/2) between: C = sum (y - a)^2
_BARE = (r"(?:^|=)\s*(?:\\sum\s*(?:_\s*(?:\{[^{}]*\}|\w))?\s*(?:\^\s*(?:\{[^{}]*\}|\w))?\s*)?"
         r"(?:\{\s*)?(?:\\left\s*)?")


def _expand(pattern: str) -> str:
    while (expanded := re.sub(r"<([A-Z]+)>", lambda m: PIECES[m.group(1)], pattern)) != pattern:
        pattern = expanded
    return pattern


@dataclass(frozen=True)
class Clue:
    """One piece of evidence: where ``pattern`` matches, the notes point to ``value`` for ``field``."""

    field: str          # convention, loss, output, hidden, or activation (a vote for the output and the hidden)
    value: str          # a preset, loss or activation name ("nielsen|wikipedia": a vote for each); "xent" is
    #                     cross-entropy, bce or cce by context
    label: str | None   # what to print; None prints the words matched, quoted
    pattern: re.Pattern
    weight: int
    scope: str = MATH
    needles: tuple[str, ...] = ()  # lower-case words one of which a text must contain to be searched (a shortcut)

    def shown(self, matched: str) -> str:
        return self.label if self.label is not None else '"' + " ".join(matched.split()) + '"'

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.value.split("|"))


def _clues(field_: str, scope: str, rows, flags: int = 0) -> list[Clue]:
    return [Clue(field_, value, label, re.compile(_expand(pattern), flags), weight, scope)
            for value, label, pattern, weight in rows]


# (convention, what to print, pattern, weight) — in the math. Notation first, then structure: which layer the
# weight beside an activation or a delta carries says which layer a weight is named after (Ng: the one it reads).
CONVENTION_MATH = [
    ("ng", r"\Theta^{(l)}", r"\\Theta\s*(?:_\{[^{}]*\}\s*)?\^", 3),
    ("ng", r"\Delta^{(l)} := \Delta^{(l)} + ...", r"\\Delta<I>\s*<PAREN><I>\s*(?::=|\\leftarrow|←|=)\s*\\Delta", 3),
    ("ng", r"D^{(l)}", r"<SOLO>D\s*(?:_\{[^{}]*\}\s*)?<PAREN>", 2),
    ("ng", r"g'(z^{(l)})", r"<SOLO>g\s*'\s*\(\s*z(?:<SUB>)?\s*<PAREN>", 2),
    ("ng", r"\delta^{(l)}", r"\\delta\s*(?:<SUB>\s*)?<PAREN>", 1),
    ("ng|ufldl", r"W^{(l)} a^{(l)}", r"(?:\\Theta|<W>)<I>\s*<UP><I><GAP>(?:\\begin\{[bp]matrix\}[^a]*)?<A><I>\s*"
     r"<SAME>", 2),
    ("ng|ufldl", r"(W^{(l)})^T \delta^{(l+1)}", r"\(\s*(?:\\Theta|<W>)<I>\s*<UP><I>\s*\)<T><GAP><DELTA><I>\s*"
     r"<ABOVE>", 3),
    ("ng|ufldl", r"\delta^{(l+1)} (a^{(l)})^T", r"<DELTA><I>\s*\^<OPEN>(<L>)\s*\+\s*1<CLOSE><I><GAP><A><I>\s*"
     r"\^<OPEN>\1(?!\s*[-+])<CLOSE>", 2),
    # UFLDL: the weight's layer as Ng's, with a bias vector named like the weight (z^(l+1) = W^(l) a^(l) + b^(l))
    ("ufldl", r"z^{(l+1)} = ... + b^{(l)}", r"<SOLO>z(?:_\{?[a-z]\}?)?\s*\^\s*\{\s*\(\s*(<L>)\s*\+\s*1\s*\)\s*\}"
     r"(?:_\{?[a-z]\}?)?\s*&?\s*=[^=]*?\+\s*b(?:_\{?[a-z]\}?)?\s*\^\s*\{\s*\(\s*\1\s*\)\s*\}", 4),
    ("ufldl", "J(W,b;x,y)", r"<SOLO>J\s*\(\s*W\s*,\s*b\s*;", 3),
    # the product between two operands (a^{(l)} \bullet (1 - a^{(l)})), not a list's bullet written $\bullet$
    ("ufldl", r"\bullet", r"[\w)}\]]\s*(?:\\bullet(?![A-Za-z])|•)\s*[\w(\\{]", 2),
    ("dls", r"dZ^{[l]}", r"<SOLO>d[ZAWb]\s*<BRACKET>", 3),
    ("dls", r"^{[l]}", r"<BRACKET>", 1),
    ("cs231n", r"dZ^{(l)}", r"<SOLO>d[ZAWb]\s*<PAREN>", 3),
    ("cs231n", "X W (a batch in rows)", r"<SOLO>(?:X|x|h|H|A)(?:\s*(?:<PAREN>|_\d))?\s*(?:\\cdot\s*)?W(?![A-Za-z])", 2),
    ("cs231n", "X^T dZ", r"<SOLO>(?:X|x|h|H|A)(?:\s*<PAREN>)?<T>\s*(?:\\cdot\s*)?(?:d[A-Z]|\\delta)", 2),
    ("bishop", r"h'(a_j)", r"<SOLO>h\s*'\s*\(\s*a(?![A-Za-z])", 3),
    ("bishop", "E_n", r"<SOLO>E_(?:n(?![A-Za-z])|\{\s*n\s*\})", 3),
    ("bishop", "t_k", r"<SOLO>t<SUB>(?!\s*\^)", 1),
    ("bishop", "a_j, z_j", r"<SOLO>[az]_(?:\{\s*[ijk]\s*\}|[ijk](?![A-Za-z}]))(?!\s*\^)", 1),
    ("bishop", r"\delta_j", r"\\delta_(?:\{\s*[jk]\s*\}|[jk](?![A-Za-z]))(?!\s*\^)", 1),
    ("bishop", "w_{kj}", r"<SOLO>w_\{\s*[a-z]\s*(?:,\s*)?[a-z]\s*\}(?!\s*\^)", 1),
    ("goodfellow", r"\nabla_{a^{(k)}} J", r"\\nabla_\s*\{\s*[ah]\s*<PAREN>", 3),
    ("goodfellow", r"\nabla_{W^{(k)}} J", r"\\nabla_\s*\{\s*[Wb]\s*<PAREN>", 2),
    ("goodfellow", r"h^{(k)}", r"<SOLO>h\s*<PAREN>", 2),
    ("goodfellow", r"f'(a^{(k)})", r"<SOLO>f\s*'\s*\(\s*a\s*<PAREN>", 2),
    ("goodfellow", r"g \leftarrow", rf"<SOLO>g\s*(?:{written_as('<-')})", 2),
    ("nielsen", r"w^l_{jk}", r"<SOLO>w\s*<PLAIN>\s*_\s*\{\s*[a-z]\s*(?:,\s*)?[a-z]\s*\}", 2),
    ("nielsen", r"w_{jk}^l", r"<SOLO>w_\s*\{\s*[a-z]\s*(?:,\s*)?[a-z]\s*\}\s*<PLAIN>", 2),
    ("nielsen|wikipedia", r"\delta^l", r"\\delta\s*(?:<SUB>\s*)?<PLAIN>", 3),
    ("nielsen|goodfellow|bishop|cs231n", r"\odot", r"\\odot(?![A-Za-z])", 1),
    ("nielsen", "C_x", r"<SOLO>C_(?:x(?![A-Za-z])|\{\s*x\s*\})", 3),
    ("nielsen", r"\sigma'(z^l)", r"\\sigma\s*'\s*\(\s*z(?:<SUB>)?\s*<PLAIN>", 2),
    ("nielsen|cs231n", r"\sigma'", r"\\sigma\s*'", 1),
    ("nielsen", r"\nabla_a C", r"\\nabla_\s*(?:a|\{\s*a\s*\})\s*C", 3),
    ("nielsen", r"+ b^l", r"\+\s*b<I>\s*<PLAIN>", 2),  # Wikipedia's network has no biases
    # layers named by letters (H, O): the weight and the bias vector named after the layer they feed, from the
    # input or the named layer below (z^{(O)} = W^{(O)} a^{(H)} + b^{(O)}, a^{(H)} = g(W^{(H)} x + b^{(H)}))
    ("nielsen", r"z^{(O)} = W^{(O)} a^{(H)} + b^{(O)}", r"<WU>\s*\^<OPEN>([A-KM-Z])<CLOSE><GAP>"
     r"(?:x|<A>\s*\^<OPEN>(?!\1)[A-KM-Z]<CLOSE>)\s*\+\s*b\s*\^<OPEN>\1<CLOSE>", 3),
    # the weight beside the activation below it, or beside the delta of its own layer: named after the layer it
    # feeds (Nielsen, and Wikipedia with a capital W)
    ("nielsen", r"w^l a^{l-1}", r"<WL><I>\s*<UP><I><GAP><A><I>\s*<BELOW>", 3),
    ("nielsen|wikipedia", r"W^l a^{l-1}", r"<WU><I>\s*<UP><I><GAP><A><I>\s*<BELOW>", 3),
    ("nielsen", r"w_L a_{L-1}", r"<SOLO>w_(?:\{\s*)?(<L>)(?:\s*\})?<GAP>a_\{\s*\1\s*-\s*1\s*\}", 3),
    ("nielsen|bishop", r"(w^{l+1})^T \delta^{l+1}", r"\(\s*<WL><I>\s*<UP><I>\s*\)<T><GAP><DELTA><I>\s*<SAME>", 3),
    ("nielsen|wikipedia", r"(W^{l+1})^T \delta^{l+1}", r"\(\s*<WU><I>\s*<UP><I>\s*\)<T><GAP><DELTA><I>\s*<SAME>", 3),
    ("nielsen|bishop", r"w^{l+1}_{kj} \delta^{l+1}_k", r"<WL><I>\s*<UP><I><GAP><DELTA><I>\s*<SAME>|"
     r"<DELTA><I>\s*<UP><I><GAP><WL><I>\s*<SAME>", 3),
    ("nielsen|wikipedia", r"\delta^l (a^{l-1})^T", r"<DELTA><I>\s*<UP><I><GAP><A><I>\s*<BELOW>", 2),
    ("nielsen|wikipedia", r"a^{l-1}_k \delta^l_j", r"<A><I>\s*\^<OPEN>(<L>)\s*-\s*1<CLOSE><I><GAP>"
     r"<DELTA><I>\s*\^<OPEN>\1(?!\s*[-+])<CLOSE>", 2),
    ("wikipedia", r"\circ", r"\\circ(?![A-Za-z])", 2),
    ("wikipedia", r"\nabla_{W^l}", r"\\nabla_\s*\{\s*[WaAbx]\s*<PLAIN>", 3),
    ("wikipedia", "(f^l)'", r"\(\s*f\s*<PLAIN>\s*\)\s*'", 3),
    ("wikipedia", "f'", r"<SOLO>f\s*'", 1),
]

# (convention, what to print or None for the words matched, pattern, weight) — in the text: code, named sources
CONVENTION_TEXT = [
    ("ng", ".*", r"[\w)\]}]\s*\.\*(?!\*)\s*[\w(\\]", 3),  # Octave's product, not Markdown's bold "**Note.**"
    ("ng", None, r"\bTheta\d\b", 3),
    ("ng", "2:end", r"\b2\s*:\s*end\b", 2),
    ("ng", None, r"\bAndrew Ng\b|\bNg's\b|\bCoursera\b", 1),
    ("ufldl", None, r"\bUFLDL\b|\bsparse autoencoder\b", 3),
    ("dls", "axis=1", r"\baxis\s*=\s*1\b", 2),
    ("dls", None, r"deeplearning\.ai|Deep Learning Specialization", 1),
    ("cs231n", "dout", r"\bdout\b", 3),
    ("cs231n", None, r"\bdX\b|\bd[Wb][12]\b", 2),
    ("cs231n", "(N, D)", r"\(\s*N\s*,\s*[A-Z]\w*\s*\)|\bN\s*(?:\\times|×)\s*D\b", 2),
    ("cs231n", "axis=0", r"\baxis\s*=\s*0\b", 2),
    ("cs231n", None, r"\bCS231n\b", 1),
    ("bishop", None, r"\bBishop\b|\bPRML\b|Pattern Recognition and Machine Learning", 1),
    ("goodfellow", None, r"\bGoodfellow\b", 1),
    ("nielsen", "BP1-BP4", r"\bBP[1-4]\b", 2),
    ("nielsen", None, r"\bNielsen\b|neuralnetworksanddeeplearning", 1),
    ("wikipedia", None, r"\bWikipedia\b", 1),
]

# (loss, what to print, pattern, weight) — cost formulas in the math
LOSS_MATH = [
    ("bce", r"(1 - y) \log(1 - a)", r"\(\s*1\s*[-−][^()]{0,40}\)\s*\\?(?:log|ln)(?![A-Za-z])", 6),
    ("cce", r"y \log a", r"<TARGET>(?:_(?:\{[^{}]*\}|\w))?\s*\\?(?:log|ln)(?![A-Za-z])", 3),
    # a squared error: with a 1/2 (or 1/2n) in front it is mse, written as the cost with none it is sse
    # (the 1/2 and the square are also mse_mean's, the quadratic cost averaged over the outputs: only its 1/n_L,
    # the output layer's width, tells it from mse)
    ("mse|mse_mean", r"\frac{1}{2} (a - y)^2", _HALF + r"(?:(?!=)[^$]){0,80}?(?:" + _SQUARED + "|" + _NORM + ")", 4),
    ("sse", "(a - y)^2 without a 1/2", _BARE + "(?:" + _SQUARED + "|" + _NORM + ")", 3),
    ("mse_mean", r"\frac{1}{n_L} \frac{1}{2} (a - y)^2",
     _MEAN + r"(?:(?!=)[^$]){0,80}?(?:" + _SQUARED + "|" + _NORM + ")", 4),
    ("mse|sse|mse_mean", "(a - y)^2", _SQUARED, 2),
    ("mse|sse|mse_mean", r"\|a - y\|^2", _NORM, 2),
]

# (loss, None: the words are printed, pattern, weight) — in the text, any case
LOSS_WORDS = [
    ("bce", None, r"\bbinary[\s-]+cross[\s-]*entropy|\bBCE\b|\blog[\s-]+loss\b|\blogistic[\s-]+regression", 3),
    ("cce", None, r"\bcategorical[\s-]+cross[\s-]*entropy|\bCCE\b|\bnegative[\s-]+log[\s-]*likelihood", 3),
    ("xent", None, r"(?<!binary )(?<!binary-)(?<!categorical )(?<!categorical-)\bcross[\s-]*entropy"
     r"|\bentropie[\s-]+crois", 2),
    # the words say a squared error, not whether it has the 1/2 (mse first: the textbooks' quadratic cost)
    ("mse|sse|mse_mean", None, r"\bquadratic[\s-]+(?:cost|loss)|\b(?:mean[\s-]+)?squared[\s-]+error|\bMSE\b"
     r"|\bsum[\s-]+of[\s-]+squares", 2),
]

# an activation's words (a regular expression, any case) for the templates below
# (and the lower-case words one of which the text must contain for the templates to be tried at all)
ACTIVATION_WORDS = {
    "sigmoid": (r"sigmoids?|logistic[\s-]+(?:function|sigmoid|activation|units?)", ("sigmoid", "logistic")),
    "tanh": (r"tanh|hyperbolic[\s-]+tangent", ("tanh", "hyperbolic")),
    "relu": (r"(?<!leaky )(?<!leaky-)(?<!leaky_)(?:relus?|rectified[\s-]+linear(?:[\s-]+units?)?)",
             ("relu", "rectified")),
    "leaky_relu": (r"leaky[\s_-]*relus?", ("leaky",)),
    "softplus": (r"softplus", ("softplus",)),
    "elu": (r"elus?", ("elu",)),
    "gelu": (r"gelus?", ("gelu",)),
    "silu": (r"silus?|swish", ("silu", "swish")),
    "softmax": (r"soft-?max", ("soft",)),
    "identity": (r"identity|linear", ("identity", "linear")),
}
_OUTPUT_ONLY = {"softmax", "identity"}   # said of the output layer only
_NO_PLAIN = {"identity"}                # the bare word ("identity matrix", "linear") says nothing
_ANY_ACTIVATION = "|".join(words for words, _ in ACTIVATION_WORDS.values())
_ARROW = r"\s*(?:→|->|\\to\b|\\rightarrow\b)\s*(?:\$\s*)?"
_VERB = r"(?:\s+(?:is|are|uses?|with|has|applies|apply))?(?:\s+(?:a|an|the))?[\s`'\"*:=]*(?:\\[a-z]+\s*\{)?"
# (field, template with {w} for an activation's words, weight): words near "output" or "hidden" say the layer
ACTIVATION_TEMPLATES = [
    ("activation", r"\b(?:{w})\b", 1),
    ("activation", r"\b(?:{w})\s*\(", 2),   # applied: sigmoid(z_1), \tanh(z)
    ("output", r"\b(?:{w})\s+(?:outputs?|output\s+(?:layer|units?|neurons?|activations?))\b", 3),
    ("output", r"\boutputs?(?:\s+layer)?(?:\s+(?:activations?|units?|neurons?))?" + _VERB + r"(?:{w})\b", 3),
    ("output", r"\b(?:mse|bce|cce|cross[\s-]*entropy)\s*(?:\+|with)\s*(?:a\s+|an\s+)?(?:{w})\b", 3),  # bce + sigmoid
    ("output", r"\b(?:{w})" + _ARROW + r"(?:\\hat\s*(?:\{\s*)?y|ŷ|output)", 3),
    ("hidden", r"\b(?:{w})\s+(?:in\s+the\s+)?hidden\b", 3),
    ("hidden", r"\bhidden(?:\s+layers?)?(?:\s+(?:activations?|units?|neurons?))?" + _VERB + r"(?:{w})\b", 3),
    ("hidden", r"\b(?:{w})" + _ARROW + r"(?:" + _ANY_ACTIVATION + r")\b", 3),
]

# (field, activation, what to print, pattern, weight) — activations written as formulas, in the math
ACTIVATION_MATH = [
    ("activation", "sigmoid", r"\sigma(z)(1 - \sigma(z))", r"\\sigma\s*<PARENS>\s*\(\s*1\s*[-−]\s*\\sigma", 3),
    ("activation", "sigmoid", "a(1 - a)", r"<SOLO>a(?:\s*[_^](?:\{[^{}]*\}|\w))*\s*\(\s*1\s*[-−]\s*a(?![A-Za-z])", 2),
    ("activation", "sigmoid", r"1/(1 + e^{-z})", r"\\frac\s*\{\s*1\s*\}\s*\{\s*1\s*\+\s*(?:e\s*\^|\\exp)", 3),
    ("activation", "relu", r"\max(0, z)", r"\\?max\s*\(\s*0\s*,", 3),
    ("output", "softmax", r"e^{z_i} / \sum_j e^{z_j}", r"\\frac\s*\{\s*(?:e\s*\^|\\exp)(?:[^{}]|\{[^{}]*\})*\}"
     r"\s*\{\s*\\sum", 3),
]


# The order of a weight's subscripts is read from the notes' own forward equation, a definition: from its line
# on, z_j = sum_i w_{ij} a_i says w_{ij} runs from unit i to unit j (from_to); z_j = sum_k w_{jk} a_k, to_from.
# (Claims about derivatives are never used: a wrong one would define the notation in which it holds.)
_SCRIPT = r"(?:\s*\^\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\w))?"   # an optional superscript: ^l, ^{(l+1)}
_FORWARD = re.compile(
    r"(?<![A-Za-z\\])[zah]" + _SCRIPT + r"\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z]))" + _SCRIPT  # z_j^l
    + r"\s*=\s*\\sum\s*_\s*(?:\{[^{}]*\}|\w)" + _SCRIPT                                   # = \sum_{i=1}^{n}
    + r"\s*(?:\\[A-Za-z]+\s*\{\s*)?[wW]\}?" + _SCRIPT                                   # w (maybe \mathbf)
    + r"\s*_\s*\{\s*([a-z])\s*,?\s*([a-z])\s*\}" + _SCRIPT                             # _{ij}
    + r"(?:\s|\\[,;!]|\\cdot)*[axzh]" + _SCRIPT + r"\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z]))")  # a_i


def weight_definitions(math: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(offset, order, what matched) of each forward equation in ``math`` that says a weight's subscript order."""
    found = []
    for offset, body in math:
        for m in _FORWARD.finditer(body):
            unit, first, second, summed = m.group(1) or m.group(2), m.group(3), m.group(4), m.group(5) or m.group(6)
            if first == second or unit == summed or summed not in (first, second) or unit not in (first, second):
                continue  # not z_j = sum_i w_{..} a_i with one index for each unit
            found.append((offset + m.start(), "from_to" if summed == first else "to_from", " ".join(m.group().split())))
    return found


# ... or from the forward equation in matrix form, z = W a + b: W_{ij} is the entry in row i and column j of the matrix,
# and in W a (a column) its rows are z's units, so W_{ij} runs to unit i from unit j (to_from); in a W (a row) its
# columns are, so from unit i to unit j (from_to). A transposed W (W^T, W', W^\top) is not read.
_LAYER = r"(?:\s*\^\s*(?:\{(?:[^{}T']|\{[^{}]*\})*\}|[A-SU-Za-z0-9]))?"  # ^l, ^{(l)}, ^{[l]}; never ^T
_MATRIX = r"(?:\\[A-Za-z]+\s*\{\s*)?([wW]|\\Theta)\}?" + _LAYER
_VECTOR = r"(?:\\[A-Za-z]+\s*\{\s*)?[axh]\}?" + _LAYER
_PRODUCT = re.compile(r"(?<![A-Za-z\\])(?:\\[A-Za-z]+\s*\{\s*)?z\}?" + _LAYER + r"\s*=\s*(?:"
                      + _MATRIX + r"(?:\s|\\[,;!]|\\cdot)*" + _VECTOR + r"|" + _VECTOR + r"(?:\s|\\[,;!]|\\cdot)*"
                      + _MATRIX + r")(?![\w^'_])")


def weight_products(math: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(offset, order, what matched) of each forward equation in matrix form (z = W a + b, z = a W + b) in ``math``:
    the order its product gives a matrix entry's subscripts."""
    found = []
    for offset, body in math:
        for m in _PRODUCT.finditer(body):
            if re.search(r"\\(?:top|intercal|prime|mathsf|mathrm)(?![A-Za-z])", m.group()):
                continue  # a transposed matrix (W^{\top}): its rows are not z's units
            order = "to_from" if m.group(1) else "from_to"
            found.append((offset + m.start(), order, " ".join(m.group().split())))
    return found


# ... or from the notes' own words: "$w_{jk}^{L}$ is the weight from the $k$th neuron in layer $L-1$ to the $j$th
# neuron in layer $L$", "$w_{qj}^{l+1}$ is the weight from neuron $j$ to $q$" (the unit letters are the subscripts')
_UNIT = (r"(?:the\s+)?(?:\$\s*([a-z])\s*\$\s*(?:-?th|-?st|-?nd|-?rd)?\s+(?:neuron|unit|node)"
         r"|(?:neuron|unit|node)\s+\$\s*([a-z])\s*\$)")
_WEIGHT_WORDS = re.compile(
    r"\$\s*(?:\\mathbf\s*\{\s*)?w\}?\s*_\s*\{\s*([a-z])\s*,?\s*([a-z])\s*\}" + _SCRIPT + r"\s*\$\s+(?:is|denotes)\s+"
    r"(?:the\s+)?weight\s+(?:of\s+the\s+connection\s+)?from\s+" + _UNIT + r"[^.\n]{0,40}?\s+to\s+(?:"
    + _UNIT + r"|\$\s*([a-z])\s*\$)")


def weight_sentences(text: str) -> list[tuple[int, str, str]]:
    """(offset, order, what matched) of each sentence of the notes that says which unit a weight runs from and to."""
    found = []
    for m in _WEIGHT_WORDS.finditer(text):
        first, second = m.group(1), m.group(2)
        source, target = m.group(3) or m.group(4), m.group(5) or m.group(6) or m.group(7)
        if first == second or {source, target} != {first, second}:
            continue  # the sentence names other units than the subscripts: it says nothing about their order
        found.append((m.start(), "from_to" if source == first else "to_from", " ".join(m.group().split())[:80]))
    return found


def _activation_clues() -> list[Clue]:
    clues = []
    for name, (words, needles) in ACTIVATION_WORDS.items():
        for field_, template, weight in ACTIVATION_TEMPLATES:
            if field_ == "activation" and name in _NO_PLAIN:
                continue
            if field_ == "activation" and name in _OUTPUT_ONLY:
                field_ = "output"
            elif field_ == "hidden" and name in _OUTPUT_ONLY:
                continue
            pattern = re.compile(template.replace("{w}", words), re.I)
            clues.append(Clue(field_, name, None, pattern, weight, TEXT, needles))
    return clues + [Clue(f, v, label, re.compile(_expand(p)), w) for f, v, label, p, w in ACTIVATION_MATH]


CLUES: tuple[Clue, ...] = tuple(
    _clues("convention", MATH, CONVENTION_MATH) + _clues("convention", TEXT, CONVENTION_TEXT)
    + _clues("loss", MATH, LOSS_MATH) + _clues("loss", TEXT, LOSS_WORDS, re.I) + _activation_clues())


# ---------------------------------------------------------------- counting
@dataclass(frozen=True)
class Hit:
    """A clue found in a stretch of notes: how often (up to COUNT_CAP + 1) and where first."""

    clue: Clue
    count: int
    line: int
    matched: str

    @property
    def score(self) -> int:
        return self.clue.weight * min(self.count, COUNT_CAP)

    def shown(self) -> str:
        return self.clue.shown(self.matched)

    def text(self) -> str:
        """``\\Theta ×4`` for a notation clue, ``"cross-entropy" on line 12`` for words."""
        if self.clue.label is None:
            return f"{self.shown()} on line {self.line}"
        more = "+" if self.count > COUNT_CAP else ""
        return self.shown() + (f" ×{min(self.count, COUNT_CAP)}{more}" if self.count > 1 else "")

    def to_dict(self) -> dict:
        return {"clue": self.shown(), "values": list(self.clue.values), "count": self.count, "line": self.line,
                "weight": self.clue.weight}


@dataclass(frozen=True)
class Evidence:
    """The clues found in a stretch of notes."""

    hits: tuple[Hit, ...] = ()

    def __add__(self, other: Evidence) -> Evidence:
        merged: dict = {}
        for hit in self.hits + other.hits:
            old = merged.get(hit.clue)
            if old is not None:
                first = old if old.line <= hit.line else hit
                hit = Hit(hit.clue, min(old.count + hit.count, COUNT_CAP + 1), first.line, first.matched)
            merged[hit.clue] = hit
        return Evidence(tuple(merged.values()))

    def votes(self, field_: str) -> list[Hit]:
        """The hits that vote for ``field_``: an activation clue votes for both layers."""
        kinds = {field_, "activation"} if field_ in ("output", "hidden") else {field_}
        return [h for h in self.hits if h.clue.field in kinds]


def gather(spans, line_of) -> Evidence:
    """The clues in ``spans``: (offset, text, scope) with scope MATH or TEXT; ``line_of(offset)`` numbers lines."""
    hits: list[Hit] = []
    lower: dict[int, str] = {}  # each span's text in lower case, by position, made once
    for clue in CLUES:
        count, first = 0, None
        for i, (offset, text, scope) in enumerate(spans):
            if scope != clue.scope:
                continue
            if clue.needles and not any(n in lower.setdefault(i, text.lower()) for n in clue.needles):
                continue
            for m in clue.pattern.finditer(text):
                first = first or (offset + m.start(), m.group())
                count += 1
                if count > COUNT_CAP:
                    break
            if count > COUNT_CAP:
                break
        if count:
            assert first is not None  # set at the first match, which every count includes
            hits.append(Hit(clue, count, line_of(first[0]), first[1]))
    return Evidence(tuple(hits))


@dataclass(frozen=True)
class Choice:
    """The values ranked by their score; ``value`` is the winner if it is clear, else None."""

    value: str | None
    ranked: tuple[tuple[str, int], ...]
    hits: tuple[Hit, ...]
    least: int

    @property
    def evident(self) -> bool:
        return bool(self.ranked) and self.ranked[0][1] >= self.least


def choose(hits: list[Hit], least: int, merge=None) -> Choice:
    """The clear winner among the values ``hits`` vote for (see ``_winner``). ``merge`` maps a value onto another
    before counting (cross-entropy onto bce or cce). Ties rank the first value of a shared clue first."""
    merge = merge or {}
    scores: dict[str, int] = {}
    order: dict[str, int] = {}
    for h in hits:
        for i, value in enumerate(merge.get(v, v) for v in h.clue.values):
            scores[value] = scores.get(value, 0) + h.score
            order[value] = min(order.get(value, i), i)
    ranked = tuple(sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]], kv[0])))
    return Choice(_winner(hits, ranked, least, merge), ranked, tuple(hits), least)


def _winner(hits: list[Hit], ranked: tuple, least: int, merge: dict) -> str | None:
    """The top value, if it scores ``least`` at least, MARGIN times its rivals together (each clue against it once)
    and, by the clues that tell the two apart, MARGIN times the runner-up. The runner-up counts by the clues that
    tell it from the top (a clue voting for both tells nothing), so where nothing does the first value of their
    shared clues wins (Nielsen before Wikipedia)."""
    if not ranked or ranked[0][1] < least:
        return None
    top, top_score = ranked[0]

    def told(value: str, score: int) -> int:
        return score - sum(h.score for h in hits if {top, value} <= {merge.get(v, v) for v in h.clue.values})

    # the rivals together: every clue that votes for some rival and not for the top, once (a clue naming a family,
    # mse|sse|mse_mean, is one piece of evidence however many rivals it names)
    against = sum(h.score for h in hits if top not in {merge.get(v, v) for v in h.clue.values})
    if len(ranked) == 1:
        return top if top_score >= MARGIN * against else None
    runner, runner_score = ranked[1]
    clear = top_score >= MARGIN * against and told(runner, top_score) >= MARGIN * told(runner, runner_score)
    return top if clear else None


# ---------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decided:
    """How one field of the problem was decided, and why."""

    field: str
    value: str | None        # None: the convention is ambiguous
    source: str              # flag | directive | inferred | assumed | ambiguous
    why: str = ""            # printed in parentheses after the value
    hits: tuple[Hit, ...] = ()  # the clues behind an inferred value, or the rivals of an ambiguous one
    local: bool = False      # decided by the evidence of the claim's own section (not the whole file's)
    line: int = 0            # the directive's line
    rivals: tuple[str, ...] = ()  # an ambiguous convention's candidates, the likeliest first

    def text(self, why: str | None = None) -> str:
        """``convention ng (inferred: \\Theta ×4, .* ×3)``; ``why`` replaces the reason ("": none)."""
        why = self.why if why is None else why
        return f"{self.field} {self.value if self.value is not None else 'unclear'}" + (f" ({why})" if why else "")

    def clues(self) -> list[dict]:
        """The clues behind the value (or the rivals), as JSON."""
        return [h.to_dict() for h in self.hits]


def given(field_: str, value: str, source: str, line: int | None = None) -> Decided:
    """A value the user stated: on the command line (``flag``) or in a directive on ``line``."""
    why = FLAGS[field_] if source == "flag" else f"directive on line {line}"
    return Decided(field_, value, source, why, line=line or 0)


@dataclass(frozen=True)
class Basis:
    """How each field of a claim's problem was decided; ``section`` names where (the line of its heading)."""

    convention: Decided
    loss: Decided
    output: Decided
    hidden: Decided
    weights: Decided = field(default_factory=lambda: _assumed("weights"))  # the order of w's subscripts
    section: str = field(default="", compare=False)   # the claim's section title ("" before any heading)
    section_line: int = field(default=0, compare=False)
    since: int = field(default=0, compare=False)      # the line from which it holds: a heading or a directive

    def fields(self) -> tuple[Decided, Decided, Decided, Decided]:  # in the order of FIELDS
        return self.convention, self.loss, self.output, self.hidden

    def values(self) -> dict:
        # the weights' order when nothing states it is the convention's own (None): a .toml may set from_to
        weights = None if self.weights.source == "assumed" else self.weights.value
        return {d.field: d.value for d in self.fields()} | {"weights": weights}

    @property
    def local(self) -> bool:
        """Whether the section's own evidence decided something (then lint names the section)."""
        return any(d.local for d in self.fields())

    @property
    def guessed(self) -> bool:
        """Whether anything was inferred or assumed (then lint says how)."""
        return any(d.source not in ("flag", "directive") for d in self.fields())

    def text(self, in_section: bool = False) -> str:
        """``convention ng (inferred: ...), loss bce, output sigmoid (directive on line 3), hidden sigmoid (assumed)``:
        neighbours decided for the same reason share it. ``in_section``: said of a section, so a convention
        inferred from the whole file says so."""
        parts = []
        for d, after in zip(self.fields(), self.fields()[1:] + (None,)):
            shared = after is not None and after.why == d.why and d.source == after.source
            why = d.why
            if in_section and d.field == "convention" and d.source == "inferred" and not d.local:
                why = why.replace("inferred:", "inferred from the whole file:", 1)
            parts.append(d.text("" if shared else why))
        if self.weights.source != "assumed":  # said only where the notes or the user set it
            parts.append(self.weights.text())
        return ", ".join(parts)


def _inferred(field_: str, choice: Choice, local: bool) -> Decided:
    hits = sorted((h for h in choice.hits if choice.value in _merged(field_, h, choice)), key=_telling)
    shown = [h.text() for h in hits[:4]]
    if field_ == "convention":
        why = "inferred: " + ", ".join(shown)
    else:
        why = "from " + " and ".join(shown[:2])
    return Decided(field_, choice.value, "inferred", why, tuple(hits), local)


def _telling(hit: Hit) -> tuple:
    """The order clues are printed in: those of one value first (they tell it apart), then by score."""
    return len(hit.clue.values) > 1, -hit.score


def _merged(field_: str, hit: Hit, choice: Choice) -> tuple[str, ...]:
    if field_ == "loss" and hit.clue.value == "xent":
        return (choice.value,) if choice.value in ("bce", "cce") else ("xent",)
    return hit.clue.values


def _ambiguous(choice: Choice, local: bool) -> Decided:
    """An undecided convention: the rivals and their clues, or that there are none."""
    if not choice.evident:
        return Decided("convention", None, "ambiguous", "no notation says which", choice.hits, local)
    rivals = tuple(v for v, _ in choice.ranked[:3])
    parts = []
    for value in rivals:
        hits = sorted((h for h in choice.hits if value in h.clue.values), key=_telling)
        parts.append(f"{value}: " + ", ".join(h.text() for h in hits[:3]))
    return Decided("convention", None, "ambiguous", "; ".join(parts),
                   tuple(h for h in choice.hits if set(h.clue.values) & set(rivals)), local, rivals=rivals)


def viable(loss: str, output: str, hidden: str) -> bool:
    """Whether the loss is defined on the output's range and the hidden activation is elementwise."""
    from .activations import activation
    from .errors import DeriveError
    from .losses import accepts
    from .losses import loss as lookup
    try:
        return activation(hidden).elementwise and accepts(lookup(loss), activation(output).range)
    except DeriveError:
        return False


class Inference:
    """Decides the fields a claim's directives and flags leave open, from the evidence of its section and file."""

    def __init__(self, section: Evidence, whole: Evidence, sectioned: bool, everything: Evidence | None = None,
                 remark: Evidence | None = None, excluded: frozenset = frozenset()) -> None:
        self.whole = whole
        self.excluded = excluded  # conventions the notes' own forward equation rules out (see Notes.structure)
        self.scopes = ((section, True), (whole, False)) if sectioned else ((whole, False),)  # (evidence, its own)
        self.everything = everything or whole  # with the mixed sections too: the rivals to name when none wins
        self.remark = remark  # a quoted remark's own evidence ("> For the cross-entropy loss ..."), if in one

    def _decide(self, field_: str, merge=None) -> tuple[Choice, bool]:
        """As ``_decided``, but a quoted remark that names its own loss or activation with LOCAL times the evidence
        a file needs is about that one (a remark on another problem, inside notes about this one)."""
        decided = self._decided(field_, merge)
        if self.remark is not None and field_ != "convention":
            named = {h.clue.value for h in self.remark.votes(field_)} & {"bce", "cce"}
            if field_ == "loss" and len(named) == 1:  # its "cross-entropy" is the one it names
                merge = {"xent": named.pop()}
            own = choose(self.remark.votes(field_), MIN_SCORE[field_] * LOCAL, merge)
            if own.evident and own.value is not None and own.value != decided[0].value:
                return own, True
        return decided

    def _decided(self, field_: str, merge=None) -> tuple[Choice, bool]:
        """(choice, local): where the section has LOCAL times the evidence a file needs, its own winner if it
        differs from the file's, or for the convention none if its notation is that mixed; else the file's
        winner; if neither is clear, the first with evidence enough to name rivals (its value None)."""
        choices = [(choose(self._votes(ev, field_), MIN_SCORE[field_] * (LOCAL if local else 1), merge), local)
                   for ev, local in self.scopes]
        whole, own = choices[-1], choices[:-1]
        if own and own[0][0].evident and own[0][0].value != whole[0].value and (
                own[0][0].value is not None or field_ == "convention"):
            return own[0]  # its own winner, or (the convention) so mixed a notation that it has none
        evident = [c for c in choices if c[0].evident]
        if whole[0].value is not None or evident:
            return ([whole] if whole[0].value is not None else evident)[0]
        return choose(self._votes(self.everything, field_), MIN_SCORE[field_], merge), False

    def _votes(self, ev: Evidence, field_: str) -> list[Hit]:
        """``ev``'s votes, without the clues of conventions the notes' forward equation rules out: a claim written
        in their structure (delta^{(l+1)} (a^{(l)})^T where W^{(l)} feeds layer l) is a claim to judge, not notation."""
        votes = ev.votes(field_)
        if field_ != "convention" or not self.excluded:
            return votes
        return [h for h in votes if not set(h.clue.values) <= self.excluded]

    def convention(self) -> Decided:
        choice, local = self._decide("convention")
        if choice.value is None:
            return _ambiguous(choice, local)
        return _inferred("convention", choice, local)

    def loss(self, output: Decided | None) -> Decided:
        softmax = (output is not None and output.value == "softmax") or any(
            h.clue.value == "softmax" for h in self.whole.votes("output"))
        cce_formula = any(h.clue.field == "loss" and h.clue.value == "cce" for h in self.whole.hits)
        choice, local = self._decide("loss", {"xent": "cce" if softmax or cce_formula else "bce"})
        return _inferred("loss", choice, local) if choice.value is not None else _assumed("loss")

    def activation(self, field_: str) -> Decided | None:
        choice, local = self._decide(field_)
        return _inferred(field_, choice, local) if choice.value is not None else None


def _assumed(field_: str, value: str | None = None, why: str = "assumed") -> Decided:
    return Decided(field_, value or ASSUMED[field_], "assumed", why)


def _named(d: Decided) -> str:
    """The value of a decided loss or activation: always a name (only a convention is ever unclear, None)."""
    assert d.value is not None
    return d.value


def decide(stated: dict, inference: Inference) -> Basis:
    """The basis of a claim: ``stated`` fields (flag or directive Decided) as given, the others inferred.

    The output is decided first from the words that name a layer; the loss then (cross-entropy is cce with a
    softmax output); an output still open is the loss's usual partner. An inferred combination that is not
    defined (a loss on outputs it does not accept) falls back to the usual output, then to the defaults.
    """
    out = stated.get("output") or inference.activation("output")
    loss = stated.get("loss") or inference.loss(out)
    if out is None:
        usual = USUAL_OUTPUT.get(_named(loss))
        out = _assumed("output", usual, f"assumed: the usual output for {loss.value}") if usual else _assumed("output")
    hidden = stated.get("hidden") or inference.activation("hidden") or _assumed("hidden")
    loss, out, hidden = _viable(stated, loss, out, hidden)
    convention = stated.get("convention") or inference.convention()
    return Basis(convention, loss, out, hidden)


def _viable(stated: dict, loss: Decided, out: Decided, hidden: Decided) -> tuple:
    """The first defined combination: as inferred; with the loss's usual output; with defaults for the guesses."""
    if viable(_named(loss), _named(out), _named(hidden)):
        return loss, out, hidden
    usual = USUAL_OUTPUT.get(_named(loss))
    if "output" not in stated and usual and viable(_named(loss), usual, _named(hidden)):
        return loss, _assumed("output", usual, f"assumed: the usual output for {loss.value}"), hidden
    for name in ("output", "hidden", "loss"):
        if name not in stated:
            trial = {"loss": loss, "output": out, "hidden": hidden} | {name: _assumed(name)}
            if viable(_named(trial["loss"]), _named(trial["output"]), _named(trial["hidden"])):
                return trial["loss"], trial["output"], trial["hidden"]
    return loss, out, hidden  # what the user stated is impossible: lint says so, naming where


# ---------------------------------------------------------------- the sections of a file
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_MD_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_TEX_HEADING = re.compile(r"\\(?:part|chapter|section)\*?\s*(?:\[[^\]]*\]\s*)?\{")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")


@dataclass(frozen=True)
class Section:
    start: int     # offset of the heading (0 for the text before the first one)
    line: int
    title: str


def sections(text: str, latex: bool, line_of) -> list[Section]:
    """The sections of a notes file: one before the first heading, then one per heading."""
    found = [Section(0, 1, "")]
    starts = _tex_headings(text) if latex else _md_headings(text)
    for start, title in starts:
        found.append(Section(start, line_of(start), " ".join(title.split())[:60]))
    return found


def _md_headings(text: str):
    fence, offset = None, 0
    for line in text.splitlines(keepends=True):
        m = _MD_FENCE.match(line)
        if m and (fence is None or (m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence))):
            fence = None if fence else m.group(1)
        elif fence is None and (h := _MD_HEADING.match(line.rstrip("\r\n"))):
            yield offset, h.group(2)
        offset += len(line)


# a forward equation, the notes' definition of which layer a weight is named after: z^{(l)} = W^{(l)} a^{(l-1)} + ...
# (the layer it feeds: Nielsen, Wikipedia, CS231n, dls) or z^{(l+1)} = W^{(l)} a^{(l)} + ... (the layer it reads: Ng)
_DEFINES = re.compile(_expand(r"<SOLO>z<I>\s*<UP><I>\s*&?=\s*(?:\\Theta|<W>)<I>\s*(?:(?P<same><SAME>)|<BELOW>)"
                              # layers named by letters (z^{(O)} = W^{(O)} a^{(H)} + b^{(O)}): named after the layer fed
                              r"|<SOLO>z<I>\s*\^<OPEN>(?P<name>[A-KM-Z])<CLOSE><I>\s*&?=\s*<W><I>\s*"
                              r"(?P<named>\^<OPEN>(?P=name)<CLOSE>)"))
_WEIGHT_OFFSETS = {"nielsen": 0, "wikipedia": 0, "goodfellow": 0, "bishop": 0, "cs231n": 0, "dls": 0, "ng": -1,
                   "ufldl": -1}  # conventions.PRESETS' weight_offset (tests/test_lint_remarks.py checks the copy)


def _ruled_out(structure: tuple[int, int] | None) -> frozenset:
    """The conventions whose weight offset the notes' forward equation contradicts (none where none is written)."""
    if structure is None:
        return frozenset()
    return frozenset(name for name, offset in _WEIGHT_OFFSETS.items() if offset != structure[0])


_MD_QUOTE = re.compile(r"^ {0,3}>")


def _md_quotes(text: str, line_of):
    """(start, end, line) of each run of blockquote lines outside code fences."""
    fence, offset, start = None, 0, None
    for line in text.splitlines(keepends=True):
        m = _MD_FENCE.match(line)
        if m and (fence is None or (m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence))):
            fence = None if fence else m.group(1)
        quoted = fence is None and _MD_QUOTE.match(line) is not None
        if quoted and start is None:
            start = offset
        elif not quoted and start is not None:
            yield start, offset, line_of(start)
            start = None
        offset += len(line)
    if start is not None:
        yield start, offset, line_of(start)


def _tex_headings(text: str):
    blanked = prose(text, latex=True)
    for m in _TEX_HEADING.finditer(blanked):
        depth, end = 1, m.end()
        while end < min(len(blanked), m.end() + 200) and depth:
            depth += {"{": 1, "}": -1}.get(blanked[end], 0)
            end += 1
        yield m.start(), re.sub(r"\\[A-Za-z]+\*?|[{}$]", "", blanked[m.end():end - 1 if not depth else end])


def prose(text: str, latex: bool) -> str:
    """``text`` with its comments blanked (same length and lines): clues in a comment are not the notes'."""
    pattern = _TEX_COMMENT if latex else _HTML_COMMENT
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


class Notes:
    """One file's evidence, gathered per section on first use (a file whose problem is stated needs none)."""

    def __init__(self, text: str, latex: bool, math: list[tuple[int, str]], line_of) -> None:
        self.text, self.latex, self.math, self.line_of = text, latex, math, line_of
        self._math_at = [at for at, _ in math]  # in file order
        self._sections: list[Section] | None = None
        self._starts: list[int] = []
        self._prose: str | None = None
        self._evidence: dict = {}
        self._bases: dict = {}
        self._defined: list | None = None
        self._quotes: list[tuple[int, int, int]] | None = None
        self._structures: list[tuple[int, int]] | None = None

    @property
    def sections(self) -> list[Section]:
        if self._sections is None:
            self._sections = sections(self.text, self.latex, self.line_of)
            self._starts = [s.start for s in self._sections]
        return self._sections

    def section_at(self, offset: int) -> int:
        self.sections  # noqa: B018 (computes the starts)
        return bisect.bisect_right(self._starts, offset) - 1

    def evidence(self, index: int | Literal["all"] | None) -> Evidence:
        """The evidence of section ``index``, of the whole file but its mixed sections (None), or of all ("all")."""
        if index not in self._evidence:
            if index is None or index == "all":  # a section too mixed to say anything is left out of the file's
                ev = Evidence()
                for i in range(len(self.sections)):
                    if index == "all" or not self.mixed(i):
                        ev = ev + self.evidence(i)
            else:
                ev = gather(self._spans(index), self.line_of)
            self._evidence[index] = ev
        return self._evidence[index]

    def mixed(self, index: int) -> bool:
        """Whether section ``index`` has evidence enough to decide the convention, and no winner."""
        choice = choose(self.evidence(index).votes("convention"), MIN_SCORE["convention"] * LOCAL)
        return choice.evident and choice.value is None

    def _spans(self, index: int) -> list[tuple[int, str, str]]:
        start = self.sections[index].start
        end = self.sections[index + 1].start if index + 1 < len(self.sections) else len(self.text)
        if self._prose is None:
            self._prose = prose(self.text, self.latex)
        first, last = bisect.bisect_left(self._math_at, start), bisect.bisect_left(self._math_at, end)
        return [(start, self._prose[start:end], TEXT)] + [(at, body, MATH) for at, body in self.math[first:last]]

    def structure(self, offset: int) -> tuple[int, int] | None:
        """(the weight's layer offset, line) the last forward equation before ``offset`` defines (z^{(l)} =
        W^{(l)} a^{(l-1)} + b^{(l)}: 0, the weight named after the layer it feeds; z^{(l+1)} = W^{(l)} a^{(l)}: -1),
        or None where none is written."""
        if self._structures is None:
            self._structures = [(at + m.start(), 0 if m.group("same") is not None or m.group("named") else -1)
                                for at, body in self.math for m in _DEFINES.finditer(body)]
        before = [(at, kind) for at, kind in self._structures if at <= offset]
        return (before[-1][1], self.line_of(before[-1][0])) if before else None

    def quote_at(self, offset: int) -> int | None:
        """The index of the Markdown blockquote (a run of lines that start with >) holding ``offset``, or None."""
        if self._quotes is None:
            self._quotes = [] if self.latex else list(_md_quotes(self.text, self.line_of))
        return next((i for i, (start, end, _) in enumerate(self._quotes) if start <= offset < end), None)

    def _quote_evidence(self, index: int) -> Evidence:
        key = ("quote", index)
        if key not in self._evidence:
            start, end, _ = (self._quotes or [])[index]
            if self._prose is None:
                self._prose = prose(self.text, self.latex)
            first, last = bisect.bisect_left(self._math_at, start), bisect.bisect_left(self._math_at, end)
            spans = [(start, self._prose[start:end], TEXT)] + [(at, body, MATH) for at, body in self.math[first:last]]
            self._evidence[key] = gather(spans, self.line_of)
        return self._evidence[key]

    def weights(self, offset: int) -> Decided:
        """The weights' subscript order at ``offset``: the last forward equation before it that says one."""
        if self._defined is None:
            if self._prose is None:
                self._prose = prose(self.text, self.latex)
            self._defined = sorted(weight_definitions(self.math) + weight_sentences(self._prose)
                                   + weight_products(self.math))
        at = bisect.bisect_right([d[0] for d in self._defined], offset) - 1
        if at < 0:
            return _assumed("weights")
        where, order, matched = self._defined[at]
        return Decided("weights", order, "inferred", f"from {matched} on line {self.line_of(where)}",
                       line=self.line_of(where))

    def basis(self, offset: int, stated: dict) -> Basis:
        """The basis of a claim at ``offset`` with the ``stated`` fields in force there."""
        index, quote, structure = self.section_at(offset), self.quote_at(offset), self.structure(offset)
        weights = stated.get("weights") or self.weights(offset)
        stated = {k: v for k, v in stated.items() if k != "weights"}
        key = (index, quote, structure and structure[0], tuple(sorted(stated.items())), weights)
        if key not in self._bases:
            fields: tuple[Decided, Decided, Decided, Decided]  # convention, loss, output, hidden (FIELDS)
            if len(stated) == len(FIELDS):
                fields = tuple(stated[name] for name in FIELDS)
            else:
                inference = Inference(self.evidence(index), self.evidence(None), len(self.sections) > 1,
                                      self.evidence("all"), None if quote is None else self._quote_evidence(quote),
                                      _ruled_out(structure))
                fields = decide(stated, inference).fields()
            title, line = self.sections[index].title, self.sections[index].line
            if quote is not None and any(d.local for d in fields):
                title, line = "the quoted remark", (self._quotes or [])[quote][2]
            self._bases[key] = Basis(*fields, weights, section=title, section_line=line)
        return self._bases[key]


__all__ = ["ASSUMED", "CLUES", "FIELDS", "Basis", "Clue", "Decided", "Evidence", "Hit", "Notes", "choose",
           "decide", "gather", "given", "sections"]
