"""The read-out chain of a camera with several amplifiers, measured from its frames.

Modules: crosstalk (each amplifier's share of the others' signal, from
bright sources in the frames), eper (charge-transfer inefficiency, from
the deferred charge flats leave in each amplifier's overscans), trails
(those trails, and ccdsim's own CTI's prediction of them), trapfit (the
trap species fitted to them), untrail (their trails taken out of an
image of the detector, such as a combined dark) and readorder (where each
amplifier's pixels are in the order it reads them, from a frame's sections).
"""
