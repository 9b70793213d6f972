# SPDX-License-Identifier: Apache-2.0
"""`python -m tintin.cli <command> ...`: the `tintin` command without the installed script."""

from tintin.cli.dispatch import main

raise SystemExit(main())
