"""Architectures (issue 11): a network written as layer kinds with skips, its spec parsed, each kind derived once,
the layers chained through the fan-out, and every quantity at every step checked against the truth of the whole
network; the mistakes people make inside a network caught the same way."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys

import pytest

from derive.arch_backward import derive_architecture, kind_derivation
from derive.arch_verification import verify_architecture
from derive.architectures import ELEMENTWISE, parse
from derive.errors import DeriveError

PARSED = [
    ("dense(4), relu", 3, [("dense", (0,), 4), ("relu", (1,), 4)]),
    ("dense(4) -> tanh dense(2)", 3, [("dense", (0,), 4), ("tanh", (1,), 4), ("dense", (2,), 2)]),
    ("residual(dense(3), relu)", 3, [("dense", (0,), 3), ("relu", (1,), 3), ("add", (2, 0), 3)]),
    ("projected(dense(5), relu), softmax", 2,
     [("dense", (0,), 5), ("relu", (1,), 5), ("projection", (0,), 5), ("add", (2, 3), 5), ("softmax", (4,), 5)]),
    ("residual(residual(layernorm), gelu)", 4, [("layernorm", (0,), 4), ("add", (1, 0), 4), ("gelu", (2,), 4),
                                                ("add", (3, 0), 4)]),
    ("DENSE(2), ReLU", 3, [("dense", (0,), 2), ("relu", (1,), 2)]),
]


@pytest.mark.parametrize("spec,inputs,steps", PARSED)
def test_a_spec_is_parsed_to_its_steps(spec, inputs, steps):
    arch = parse(spec, inputs)
    assert [(s.kind, s.reads, s.width) for s in arch.steps] == steps


REFUSED = [
    ("", "the spec is empty"),
    ("dense", "dense needs its width"),
    ("dense(4), relux", "unknown layer kind 'relux' at column 11"),
    ("relu(3)", "relu keeps its input's width"),
    ("residual(dense(5))", "an identity skip needs equal widths; write projected"),
    ("dense(4", "expected ')' at column 8"),
    ("dense(4)) relu", "unexpected ')' at column 9"),
    ("residual(relu,)", "expected a layer kind at column 15"),
    ("dense(99)", "widths are 1 to 16"),
    ("dense(0)", "widths are 1 to 16"),
    ("dense(4) $", "unexpected '$' at column 10"),
    ("softmax(", "expected the width of softmax"),
    ("residual relu", "expected '(' after residual"),
    (", relu", "expected a layer kind at column 1"),
    ("relu " * 401, "more than 400 layers"),
]


@pytest.mark.parametrize("spec,message", REFUSED)
def test_a_malformed_spec_is_one_line_error(spec, message):
    with pytest.raises(DeriveError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")) as e:
        parse(spec)
    assert "\n" not in str(e.value)


def test_the_spec_is_data():
    for bad in (3, None, ["dense(2)"]):
        with pytest.raises(DeriveError, match="an architecture is a string"):
            parse(bad)  # type: ignore[arg-type]
    for inputs in (0, 17, True, "3"):
        with pytest.raises(DeriveError, match="inputs must be"):
            parse("relu", inputs)  # type: ignore[arg-type]


def _random_spec(rng: random.Random, width: int, depth: int = 0) -> tuple[str, int]:
    """A spec drawn from the grammar, and its output width: every kind, both skips, nested once."""
    items = []
    for _ in range(rng.randint(2, 4)):
        choice = rng.random()
        if choice < 0.3:
            width = rng.choice([w for w in range(2, 6) if w != width])
            items.append(f"dense({width})")
        elif choice < 0.45 and depth == 0:
            inner, out = _random_spec(rng, width, depth + 1)
            items.append(f"residual({inner})" if out == width else f"projected({inner})")
            width = out
        else:
            items.append(rng.choice(("batchnorm", "layernorm", "dropout", "softmax", "logsoftmax") + ELEMENTWISE))
    return ", ".join(items), width


SPECS = [_random_spec(random.Random(seed), 3)[0] for seed in range(6)] + [
    "dense(4), batchnorm, relu, residual(dense(4), batchnorm, relu), projected(dense(3), layernorm, tanh), "
    "dropout, dense(2), logsoftmax",
    "residual(softmax), residual(logsoftmax), sigmoid, softplus, elu, silu, exp, identity, leaky_relu",
]


@pytest.mark.parametrize("spec", SPECS)
def test_every_quantity_at_every_step_agrees_with_the_truth(spec):
    ad = derive_architecture(parse(spec, 3))
    report = verify_architecture(ad, trials=2)
    assert report.ok, report.text()
    assert max(e for e, _ in report.errors.values()) < 1e-40
    checked = {(k, q) for c, k, q in report.errors if c == "end to end"}
    for s in ad.steps:  # every adjoint of every kind used, and the gradient of every output (the fan-out sums)
        assert (s.kind.name, "y") in checked and {(s.kind.name, e.of) for e in s.derivation.equations} <= checked


def test_the_unbiased_variance_reaches_every_normalisation():
    spec = "batchnorm, dense(4), layernorm"
    assert verify_architecture(derive_architecture(parse(spec, 3, unbiased=True)), trials=1).ok
    # the 1/m formulas against an n - 1 forward pass fail
    wrong = dataclasses.replace(derive_architecture(parse(spec, 3)), architecture=parse(spec, 3, unbiased=True))
    assert not verify_architecture(wrong, trials=1).ok


def _edit_step(ad, index: int, **changes):
    steps = tuple(dataclasses.replace(s, **changes) if s.step.index == index else s for s in ad.steps)
    return dataclasses.replace(ad, steps=steps)


def _without_path(derivation, node: str, source: str):
    """A kind's derivation re-derived with one path cut (``node`` no longer reads ``source``)."""
    from derive.backward import derive_kind
    g = derivation.kind
    nodes = tuple(dataclasses.replace(n, reads=tuple(r for r in n.reads if r.source != source))
                  if n.name == node else n for n in g.nodes)
    return derive_kind(dataclasses.replace(g, nodes=nodes, compact=()), derivation.letters.source)


def test_a_forgotten_skip_path_fails():
    # the block's input gets the gradient through the block only, as if the skip carried none back
    ad = derive_architecture(parse("dense(3), residual(dense(3), tanh), dense(2)", 3))
    assert ad.steps[0].readers == ((2, "x"), (4, "skip"))
    wrong = _edit_step(ad, 1, readers=((2, "x"),))
    report = verify_architecture(wrong, trials=1)
    assert not report.ok
    assert report.errors[("end to end", "dense", "y")][0] > 1e-3
    text = report.text()  # a failing quantity is named on its own line, with its step; the rest per kind
    assert "end to end: dense dy" in text and "(step 1)  FAIL" in text and text.endswith("exceeds 1e-09")
    assert "end to end: tanh  " in text and "worst of 2" in text


def test_batch_statistics_treated_as_constants_fail_inside_a_network():
    ad = derive_architecture(parse("dense(4), batchnorm, relu, dense(2)", 3))
    bn = ad.steps[1].derivation
    wrong = _edit_step(ad, 2, derivation=_without_path(_without_path(bn, "mu", "x"), "var", "x"))
    report = verify_architecture(wrong, trials=1)
    assert not report.ok and report.errors[("end to end", "batchnorm", "x")][0] > 1e-3
    # and the error travels down: the first layer's weight gradient is wrong too
    assert report.errors[("end to end", "dense", "W")][0] > 1e-3


def test_softmax_with_the_elementwise_shortcut_fails():
    # y(1 - y) dout: the Jacobian's diagonal only, as if softmax were applied entry by entry
    ad = derive_architecture(parse("dense(3), softmax", 2))
    sm = ad.steps[1].derivation
    wrong = _edit_step(ad, 2, derivation=_without_path(sm, "y", "s"))
    assert not verify_architecture(wrong, trials=1).ok


def test_each_kind_is_derived_once():
    block = "residual(dense(4), batchnorm, relu)"
    ad = derive_architecture(parse("dense(4), " + ", ".join([block] * 24), 3))
    assert len(ad.steps) == 1 + 24 * 4
    assert len({id(s.derivation) for s in ad.steps}) == len(ad.kinds()) == 4
    assert kind_derivation("batchnorm", False) is ad.steps[2].derivation


@pytest.mark.parametrize("args,status,says", [
    (["verify", "--architecture", "dense(4), relu, residual(dense(4), batchnorm, relu), dense(2)", "--trials", "1"],
     0, "verified"),
    (["verify", "--architecture", "dense(4), relux"], 2, "did you mean 'relu'"),
    (["verify", "--architecture", "dense(2)", "--loss", "bce"], 2, "--loss does not apply to an architecture"),
    (["verify", "--architecture", "dense(2)", "--layer", "batchnorm"], 2, "give one"),
    (["verify", "--inputs", "4"], 2, "--inputs is for --architecture"),
    (["verify", "--architecture", "relu", "--inputs", "40"], 2, "inputs"),
    (["doc", "--architecture", "dense(2), batchnorm", "--format", "tex"], 0, r"\documentclass"),
    (["doc", "--architecture", "dense(2), batchnorm", "--format", "tex-snippet"], 2, "md or tex"),
    (["verify", "--architecture", "signal(8), conv1d(4, 3, stride=2, pad=1), relu, maxpool1d(2), flatten, dense(3), "
      "softmax", "--inputs", "2", "--trials", "1"], 0, "left out: "),
    (["verify", "--architecture", "sequence(4), rnn(3), dense(2)", "--trials", "1"], 0, "verified"),
    (["verify", "--architecture", "signal(8), conv1d(4, 3, pad=2)"], 2, "conv1d's pad 2 at column 29: it is 0 to 1"),
])
def test_the_command_line(args, status, says):
    run = subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, timeout=120)
    assert run.returncode == status, run.stderr
    assert says in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    if status == 2:
        assert run.stderr.count("\n") == 1
