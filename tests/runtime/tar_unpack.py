"""An unpacker as projects write it; tests/tarfile_extract.rs fixes copies of
this file with `remediate fix --unsafe-fixes` and judges them with CPython."""
import tarfile


def unpack(archive, dest):
    with tarfile.open(archive) as tar:
        tar.extractall(dest)
