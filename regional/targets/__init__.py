"""Policy targets: what counts (measures), each member's numbers (targets) and progress."""
