"""Dockerfile builds on the engine: parse, plan (pure), execute steps with a layer cache.

Modules by concern: :mod:`parser` (text to instructions with line numbers), :mod:`substitution`
(Docker's shell-word expansion), :mod:`instructions` (typed instructions), :mod:`dockerignore`,
:mod:`planner` (stages, ARG/ENV scoping, target selection), :mod:`cachekey` (pure cache keys),
:mod:`context` (the build context walk and content hashing), :mod:`cache` (the on-disk index),
:mod:`executor` (running steps on the engine). See docs/build.md.
"""
