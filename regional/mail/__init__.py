"""Outbound mail: the outbox (written in the change's transaction) and its delivery.

Below the people package; the page of undelivered mail is :mod:`regional.outbox`.
"""
