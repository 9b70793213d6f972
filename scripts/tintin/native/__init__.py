# SPDX-License-Identifier: Apache-2.0
"""tintin.native (docstring to come)."""
