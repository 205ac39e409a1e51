"""The checked-in sample files are what samples/make.py writes: the tests read real files, and
the generator that documents them stays true to them."""

from pathlib import Path

from tests.imports.samples import make


def test_the_generator_still_writes_the_checked_in_samples(tmp_path):
    written = make.write_all(tmp_path)
    assert len(written) == len(make.GENERATED) + len(make.BROKEN)
    for path in written:
        checked_in = make.HERE / path.relative_to(tmp_path)
        assert path.read_bytes() == checked_in.read_bytes(), checked_in.name


def test_the_realistic_samples_have_several_hundred_rows():
    for name in make.GENERATED:
        lines = (make.HERE / name).read_text(encoding="utf-8").count("\n")
        assert lines > 300, name
        assert Path(make.HERE / name).stat().st_size < 400_000, name
