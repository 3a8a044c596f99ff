"""The formula checker: parse a pasted backprop formula, judge it against the forward pass, diagnose it.

``ast`` (the neutral syntax tree), ``parse`` (LaTeX and Octave-style text to that tree, with a lark
grammar), ``meaning`` (the tree to shaped expressions under a convention), ``judge`` (shapes, then numbers
against ground truth), ``diagnose`` (the nearest common mistake that makes it hold).
"""
