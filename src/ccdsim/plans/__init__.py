"""Observing plans: the plan model, plan files, groups, built-in plans, the frames
of a plan, combined frames and after-images.
"""
