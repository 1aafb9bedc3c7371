"""Fits and checks against the pre-window record: Hawkes fits, the ISIS trend, the posterior
(estimate), backtests and proper scores."""
