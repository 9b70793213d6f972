# SPDX-License-Identifier: Apache-2.0
"""Tin-Tin's Python side: the bit-exact reference of the C runtime and the tools built on it.

Subpackages by job, each importing only those below it (pyproject.toml's import-linter
contracts; docs/architecture.md has the map):

    cli                  the `tintin` command line
    apps | bench         train, demos, studies, generated files | cost and accuracy measurements
    tasks | target | zephyr   datasets with their networks | fit on a part | the Zephyr files
    io                   model files, datasets, C headers and blobs
    native               the C runtime through ctypes, and its host build
    core                 the specification: spec, numerics, refmodel, floatref (NumPy only)
"""
