"""Every rendering for people and CI: plans, apply results, validation output, wallets.

Pure functions from values to text; the commands decide where the text goes.
"""
