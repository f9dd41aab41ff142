"""Risk control (R9, R6.3, R4.4): the suspect-share scan, the refund rating and blacklist, and
the risk desk. Above rebates and attribution; independent of billing."""
