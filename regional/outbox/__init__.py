"""The coordinator's page of mail that could not be delivered (宛先不明のメール): list, send
again to a corrected address, discard. Above the people package (it checks addresses
against accounts); the mail itself (the outbox, delivery) is :mod:`regional.mail`, below it.
"""
