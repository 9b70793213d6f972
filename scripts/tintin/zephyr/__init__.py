# SPDX-License-Identifier: Apache-2.0
"""tintin.zephyr (docstring to come)."""
