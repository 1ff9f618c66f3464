"""Jobs: lifecycle, durable queue, runner and workers."""
