# SPDX-License-Identifier: Apache-2.0
"""tintin.apps (docstring to come)."""
