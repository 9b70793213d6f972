# SPDX-License-Identifier: Apache-2.0
"""tintin.io (docstring to come)."""
