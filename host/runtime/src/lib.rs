//! Runs a job in one process: tasks, channels, chaining, keyed routing, watermarks and timers.
