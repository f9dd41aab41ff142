"""Rebates (R1, R2, R4–R8): orders from billing's snapshots, the R4 decision, rule sets and
products, the quarterly bonus, holds, and the pages 返利订单, 概览, 任务与奖励 and 最新动态.
Above attribution; it never imports billing or risk."""
