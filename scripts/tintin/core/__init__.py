# SPDX-License-Identifier: Apache-2.0
"""tintin.core (docstring to come)."""
