"""The platform-neutral print-orchestration core that every chat adapter feeds."""
