"""The read-out chain of a camera with several amplifiers, measured from its frames.

Modules: crosstalk (each amplifier's share of the others' signal, from
bright sources in the frames) and eper (charge-transfer inefficiency, from
the deferred charge flats leave in each amplifier's overscans).
"""
