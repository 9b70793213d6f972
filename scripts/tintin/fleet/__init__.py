# SPDX-License-Identifier: Apache-2.0
"""Fleets: many nodes training one model with integer federated averaging (docs/fleet.md).

partition splits a dataset into nodes; node is one node's round on the C runtime; scenario
runs rounds, the local-only and centralised float32 baselines; flower runs the same rounds on
Flower's Simulation Engine (the optional `fleet` extra); report writes the curves; run is
`tintin fleet`.
"""
