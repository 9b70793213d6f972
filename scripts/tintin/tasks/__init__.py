# SPDX-License-Identifier: Apache-2.0
"""tintin.tasks (docstring to come)."""
