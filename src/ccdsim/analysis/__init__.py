"""Frames taken apart: each source of counts alone, and the noise budget."""
