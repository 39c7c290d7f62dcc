"""What ``ll.init()`` records about where a run came from: git, packages, system, container,
CI and the command line, with secrets redacted before anything leaves the process.

Each part is its own module with one function that returns plain JSON-ready data; nothing
here is imported by ``import labledger`` (capture runs inside ``init()``).
"""
