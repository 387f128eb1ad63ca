"""`--processes N` of `motcua serve` and `motcua up`: a whole number from 1, and only
with PostgreSQL (several processes cannot share the SQLite files)."""

import pytest

from shared import cli


def run(argv, monkeypatch, capsys):
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as ended:
        cli.main(argv)
    return ended.value.code, capsys.readouterr().err


@pytest.mark.parametrize("argv", [["serve", "intake", "--processes", "2"], ["up", "--processes", "3"]])
def test_several_processes_need_postgresql(argv, monkeypatch, capsys):
    code, err = run(argv, monkeypatch, capsys)
    message = err or str(code)
    assert code != 0 and "needs PostgreSQL (MOTCUA_DATABASE_URL)" in message


@pytest.mark.parametrize("wrong", ["0", "-1", "two"])
def test_the_number_of_processes_is_a_whole_number_from_one(wrong, monkeypatch, capsys):
    code, err = run(["serve", "intake", "--processes", wrong], monkeypatch, capsys)
    assert code == 2 and "expected a whole number of processes, at least 1" in err


def test_one_process_is_the_default():
    args = cli.build_parser().parse_args(["serve", "notify"])
    assert (args.processes, args.replica) == (1, False)
