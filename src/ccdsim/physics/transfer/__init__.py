"""Charge that moves and signal that crosses, between collection and the output.

Pure functions of arrays and numbers, as the rest of `ccdsim.physics`:

- `brighterfatter`: charge already collected pushes new charge to the
  neighbouring pixels while the exposure goes on (flux conserved);
- `cti`: charge-transfer inefficiency, traps that capture charge from the
  packets clocked past them and release it later (trails, EPER);
- `crosstalk`: each amplifier's signal seen, scaled, in the others'.

Arrays here are one amplifier's segment in read-out order: row 0 is the row
read first (next to the serial register), column 0 the pixel of each row
read first (next to the amplifier).
"""
