"""console.yamldoc's file saving: a save keeps the file's permissions and leaves no staged
copy behind (the editors' round-trip behaviour is tested with each document)."""

from __future__ import annotations

from pathlib import Path

from console.yamldoc import write_atomically


def test_a_save_keeps_the_files_permissions_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    kept = tmp_path / "routing.yaml"
    kept.write_text("old\n")
    kept.chmod(0o640)
    write_atomically(kept, "new\n")
    write_atomically(tmp_path / "policy.yaml", "created\n")
    assert kept.read_text() == "new\n"
    assert kept.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "policy.yaml").stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.yaml", "routing.yaml"]
