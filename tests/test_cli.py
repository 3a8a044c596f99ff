"""The command line as a user meets it: fast help, one-line errors with exit 2, JSON, atomic -o."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from derive.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "derive.cli", *args], capture_output=True, text=True, timeout=300)


def test_list_and_help_do_not_import_sympy():
    code = "import sys; from derive.cli import main; main(['list']); assert 'sympy' not in sys.modules, 'sympy'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "nielsen" in result.stdout and "softmax" in result.stdout and "poisson" in result.stdout


@pytest.mark.parametrize("args,needle", [
    (["verify", "--loss", "msee"], "did you mean 'mse'"),
    (["verify", "--convention", "ngg"], "did you mean 'ng'"),
    (["verify", "--hidden", "softmax"], "output activation only"),
    (["verify", "--loss", "cce", "--activation", "relu"], "not defined for relu"),
    (["verify", "--layers", "0"], "layers must be between 2 and 64"),
    (["verify", "--layers", "1"], "layers must be between 2 and 64"),
    (["verify", "--layers", "100000"], "layers must be between 2 and 64"),
    (["doc", "--layers", "65"], "layers must be between 2 and 64"),
    (["verify", "--trials", "1000000000"], "trials must be between 1 and 20"),
    (["verify", "--seed", "-1"], "seed must be between 0"),
    (["verify", "--layers", "x"], "expected a whole number"),
    (["verify", "--layers", "5", "--truth", "sympy"], "--layers 3 or fewer"),
    (["table", "--format", "pdf"], "invalid choice"),
    (["verify", "--convention", "missing.toml"], "cannot read convention file"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["verfy"], "did you mean 'verify'"),
    (["chek"], "did you mean 'check'"),
    (["docs"], "did you mean 'doc'"),
    (["help", "nope"], "no command 'nope'"),
    (["verify", "--loss", "BCEE"], "did you mean 'bce'"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    result = run(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_verify_json(capsys):
    status = main(["verify", "--convention", "dls", "--loss", "cce", "--activation", "softmax", "--hidden", "relu",
                   "--layers", "3", "--trials", "1", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0 and report["ok"]
    assert set(report["max_relative_error"]) >= {"delta", "grad_weight", "grad_bias"}
    assert all(e < 1e-9 for e in report["max_relative_error"].values())


def test_out_file_is_written_whole(tmp_path, capsys):
    target = tmp_path / "table.md"
    assert main(["table", "--convention", "ng", "--format", "md", "-o", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("| loss |") and "\\Theta" not in text  # the table is about the output layer
    assert [p.name for p in tmp_path.iterdir()] == ["table.md"]  # no temporary file left behind
    assert main(["table", "-o", str(tmp_path / "no" / "such" / "dir.txt")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_user_convention_from_toml(tmp_path, capsys):
    conv = tmp_path / "mine.toml"
    conv.write_text('base = "nielsen"\nlayout = "column_batch"\ngrad_of = "cost"\n'
                    '[notation]\nweight = "V"\nlayer = "bracket"\n')
    assert main(["verify", "--convention", str(conv), "--loss", "bce", "--activation", "sigmoid", "--hidden",
                 "tanh", "--trials", "1"]) == 0
    assert "verified" in capsys.readouterr().out
    assert main(["table", "--convention", str(conv), "--format", "md"]) == 0


@pytest.mark.parametrize("fmt,needle", [("text", "Σ_k y_k = 1"), ("md", r"$\sum_{k} y_{k} = 1$"),
                                        ("tex", r"\begin{tabular}")])
def test_table_formats(fmt, needle, capsys):
    assert main(["table", "--format", fmt]) == 0
    assert needle in capsys.readouterr().out


def test_version_and_help_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("derive ")
    assert main(["help", "check"]) == 0
    out = capsys.readouterr().out
    assert "usage: derive check" in out and "derive check --convention nielsen" in out
    assert "derive gallery" not in out  # a command's help shows its own examples, not every command's


@pytest.mark.parametrize("names", [("BCE", "Sigmoid", "TANH"), ("binary_crossentropy", "logistic", "tanh"),
                                   ("cross-entropy", "softmax", "relu")])
def test_names_in_any_case_and_common_aliases(names, capsys):
    loss, out, hidden = names
    assert main(["verify", "--loss", loss, "--activation", out, "--hidden", hidden, "--layers", "2",
                 "--trials", "1"]) == 0
    assert "verified" in capsys.readouterr().out


@pytest.mark.parametrize("command,name,needle", [
    (["table"], "t.tex", r"\begin{tabular}"), (["table"], "t.md", "| loss |"), (["table"], "t.txt", "Σ_k y_k"),
    (["doc", "--layers", "2", "--loss", "mse", "--activation", "identity"], "d.tex", r"\documentclass"),
])
def test_the_output_format_follows_the_file_extension(tmp_path, command, name, needle):
    target = tmp_path / name
    assert main([*command, "-o", str(target)]) == 0
    assert needle in target.read_text()


@pytest.mark.parametrize("formula,status,needle", [
    (r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}", 0, "the batch factor moves"),
    (r"dW^{[l]} = dZ^{[l]} A^{[l-1]T}", 1, "fails in dls and in cs231n"),
    (r"dW^{[l]} = A^{[l-1]} dZ^{[l]}", 1, "not translated"),
])
def test_translate_exit_status_says_whether_the_formula_holds(formula, status, needle, capsys):
    argv = ["translate", "--from", "dls", "--to", "cs231n", "--loss", "bce", "--activation", "sigmoid", formula]
    assert main(argv) == status
    assert needle in capsys.readouterr().out
    assert main([*argv, "--json"]) == status
    report = json.loads(capsys.readouterr().out)
    assert report["source_verdict"] == ("holds" if status == 0 else "fails")


@pytest.mark.parametrize("options", [["--loss", "bce", "--convention", "ng", "--layers", "2"],
                                     ["--layers", "2", "--format", "tex", "--hidden", "tanh"]])
def test_a_document_on_stdout_says_how_to_regenerate_it(options, capsys):
    import re
    import shlex
    assert main(["doc", *options]) == 0
    first = capsys.readouterr().out
    command = re.search(r"regenerate with `derive ([^`]*)`", first.splitlines()[0]).group(1)
    assert command.startswith("doc --convention ") and "-o" not in shlex.split(command)
    assert main(shlex.split(command)) == 0  # the header's command writes the same document
    assert capsys.readouterr().out == first
