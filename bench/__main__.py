"""``python -m bench``: list the benchmarks (each is run as ``python -m bench.NAME``)."""

import pkgutil

import bench

if __name__ == "__main__":
    for module in pkgutil.iter_modules(bench.__path__):
        if not module.name.startswith("_"):
            print(f"python -m bench.{module.name}")
