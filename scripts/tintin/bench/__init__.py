# SPDX-License-Identifier: Apache-2.0
"""tintin.bench (docstring to come)."""
