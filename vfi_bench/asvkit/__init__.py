"""What the tracker does that any asv project could use: nothing here names vfi.

:mod:`.compare` (paired A/B comparison and calibration in asv's environments),
:mod:`.worker` (the long-lived benchmark process it drives), :mod:`.stats` (the decision
rule) and :mod:`.vendor` (a published report that opens without internet).
"""
