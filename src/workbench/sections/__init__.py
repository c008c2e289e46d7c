"""Report sections, one module per capability.

A module here that defines ``SECTION = Section(...)`` (see
:class:`workbench.report.Section`) appears in the weekly report, ordered by
``order``. Adding a capability's section means adding a module; nothing else
changes.
"""
