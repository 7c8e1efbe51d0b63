"""The ground floor: parameters, checks, random streams, DQ bits, machine resources,
compiled kernels. Imports nothing else of ccdsim.
"""
