"""Helpers below every layer: text cleaning, JSON values, number formatting and the Hawkes process
formulas the scenario and the calibration share."""
