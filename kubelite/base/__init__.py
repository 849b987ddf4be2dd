"""Small, dependency-free foundations shared by every component: clock, backoff, tasks, logging."""
