# SPDX-License-Identifier: Apache-2.0
"""tintin.target (docstring to come)."""
