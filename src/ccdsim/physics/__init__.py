"""The physics: one module per effect, pure functions of arrays, numbers and a
read-only camera (never a plan, an exposure or a frame).
"""
